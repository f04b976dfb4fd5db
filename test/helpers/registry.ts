import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {connect as connectTls} from 'node:tls'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A real registry for the tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1 with a
 * temp storage dir, optionally behind htpasswd basic auth. Missing binaries fail the test.
 */
export interface TestRegistry {
  host: string
  username?: string
  password?: string
  dir: string
  /** The registry process's CPU time so far (user + system, ms), from /proc: what the benchmark charges to each tool. */
  cpuMs(): number
  stop(): Promise<void>
}

export interface RegistryOptions {
  htpasswd?: {username: string; password: string}
  /** Raw `auth:` YAML block (e.g. a token realm); overrides htpasswd. */
  authYaml?: string
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: {certificate: string; key: string}
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'))
  const port = await freePort()
  let auth = ''
  if (options.authYaml) {
    auth = options.authYaml
  } else if (options.htpasswd) {
    const file = join(dir, 'htpasswd')
    execFileSync('htpasswd', ['-Bbc', file, options.htpasswd.username, options.htpasswd.password], {stdio: 'ignore'})
    auth = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${file}\n`
  }

  const config = join(dir, 'config.yml')
  writeFileSync(
    config,
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${options.tls ? `  tls:\n    certificate: ${options.tls.certificate}\n    key: ${options.tls.key}\n` : ''}${auth}`,
  )
  const child: ChildProcess = spawn('docker-registry', ['serve', config], {stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('error', (error) => (stderr += String(error)))
  const host = `127.0.0.1:${port}`
  await waitForRegistry(host, () => child.exitCode !== null || child.signalCode !== null, () => stderr, Boolean(options.tls))
  return {
    host,
    dir,
    ...(options.htpasswd ? {username: options.htpasswd.username, password: options.htpasswd.password} : {}),
    cpuMs: () => processCpuMs(child.pid!),
    async stop() {
      child.kill('SIGTERM')
      await exited
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

function processCpuMs(pid: number): number {
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

async function waitForRegistry(host: string, hasExited: () => boolean, stderr: () => string, tls: boolean): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`docker-registry exited at start: ${stderr()}`)
    try {
      if (tls) {
        if (await tlsListening(host)) return
      } else {
        const response = await fetch(`http://${host}/v2/`)
        if (response.status === 200 || response.status === 401) return
      }
    } catch {
      // not listening yet
    }

    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  throw new Error(`docker-registry on ${host} did not start: ${stderr()}`)
}

/** A TLS registry is up once a TLS handshake completes (its certificate is not trusted here). */
function tlsListening(host: string): Promise<boolean> {
  const [hostname, port] = host.split(':')
  return new Promise((resolve) => {
    const socket = connectTls({host: hostname, port: Number(port), rejectUnauthorized: false}, () => {
      socket.end()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
}
