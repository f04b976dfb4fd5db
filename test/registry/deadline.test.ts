import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {type IncomingMessage, type ServerResponse, createServer as createHttpServer} from 'node:http'
import {type AddressInfo, type Server, type Socket, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {PluginError} from '../../src/errors.js'
import {parseRepositoryName} from '../../src/reference/reference.js'
import {RegistryClient} from '../../src/registry/client.js'
import {anonymous} from '../../src/registry/credentials.js'
import {isExhausted} from '../../src/util/retry.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/**
 * The time a user waits on a registry that stops answering: each request waits --registry-timeout
 * (N) seconds of silence, and one exchange with its retries gives up after 2 × N
 * (docs/registries-transport.md). Before the retry helper, N = 2 took 17 s here for one image and
 * 80 s for six.
 */
interface SilentServer {
  host: string
  /** When the first connection came in (epoch ms), and how many came. */
  first?: number
  connections: number
  stop(): Promise<void>
}

async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  const state: SilentServer = {host: '', connections: 0, stop: async () => {}}
  const server: Server = createServer((socket) => {
    state.first ??= Date.now()
    state.connections++
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  state.stop = () => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  }

  return state
}

const N = 2
const BOUND_MS = 2 * N * 1000
/** Process exit and the error line after the last timeout, on a loaded two-core machine. */
const SLACK_MS = 1000

describe('a registry that accepts connections and never answers, with --registry-timeout 2', {timeout: 120_000}, () => {
  const work = mkdtempSync(join(tmpdir(), 'deadline-'))
  let key: TestKey
  let silent: SilentServer
  before(async () => {
    key = await generateTestKey(work, 'deadline')
  })
  const fresh = async () => {
    await silent?.stop()
    silent = await startSilentServer()
    return silent
  }
  after(() => silent?.stop())

  const cases: {label: string; images: number; insecure: boolean}[] = [
    {label: 'one image', images: 1, insecure: false},
    {label: 'six images at once (they share the scheme probe, and its failure)', images: 6, insecure: false},
    {label: 'an --insecure-registry host (HTTPS, then plain HTTP, within the one budget)', images: 1, insecure: true},
  ]
  for (const {label, images, insecure} of cases) {
    it(`${label}: the CLI fails within 2 × 2 s of its first request, with one line naming the registry`, async (t) => {
      const server = await fresh()
      const references = Array.from({length: images}, (_, i) => `${server.host}/silent/app${i}:v1`)
      const extra = insecure ? ['--insecure-registry', server.host] : []
      const started = Date.now()
      const result = await runCli(['sign', ...references, '--key', key.key, '--password-file', key.passwordFile, '--registry-timeout', String(N), ...extra], {timeoutMs: 60_000})
      const exited = Date.now()
      const line = assertOneLineError(result)
      assert.equal(result.code, 4, result.stderr)
      assert.match(line, new RegExp(`registry ${server.host.replace(/\./g, '\\.')}: no answer from ${server.host.replace(/\./g, '\\.')} within 2s`))
      assert.ok(server.first, 'the CLI never connected')
      const waited = exited - server.first
      t.diagnostic(`${label}: ${exited - started} ms in all, ${waited} ms from the first request; ${server.connections} connection(s)`)
      assert.ok(waited >= BOUND_MS - 300, `gave up after ${waited} ms, before its two tries' timeouts`)
      assert.ok(waited <= BOUND_MS + SLACK_MS, `waited ${waited} ms from the first request (bound ${BOUND_MS} ms)`)
    })
  }
})

// Timed out rather than hung when the budget is broken (a Retry-After of an hour would be waited for).
describe('retries do not multiply', {timeout: 60_000}, () => {
  let server: ReturnType<typeof createHttpServer>
  let host: string
  const seen: string[] = []
  let handle: (req: IncomingMessage, res: ServerResponse) => void = () => {}
  before(async () => {
    server = createHttpServer((req, res) => {
      seen.push(`${req.method} ${req.url?.split('?')[0]}`)
      req.resume()
      req.on('end', () => handle(req, res))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })

  const client = () => new RegistryClient({credentials: anonymous, timeoutMs: 5000})
  const large = () => randomBytes(100 * 1024)

  it('a large blob whose HEAD keeps failing with 503: four HEADs in all (it was 4 × 5 upload tries)', async () => {
    seen.length = 0
    handle = (_req, res) => res.writeHead(503).end()
    const repository = parseRepositoryName(`${host}/app`)
    await assert.rejects(client().uploadBlob(repository, large(), 'application/octet-stream'), (error: unknown) => {
      assert.ok(error instanceof PluginError)
      assert.match(error.message, /HTTP 503/)
      assert.ok(isExhausted(error))
      return true
    })
    assert.equal(seen.filter((s) => s.startsWith('HEAD ')).length, 4, seen.join('\n'))
    assert.equal(seen.filter((s) => s.startsWith('POST ')).length, 0, seen.join('\n'))
  })

  it('a reset of the upload POST (tried once by the transport) starts the upload over, five times at most', async () => {
    seen.length = 0
    handle = (req, res) => {
      if (req.method === 'HEAD') return res.writeHead(404).end()
      req.socket.destroy()
    }

    const repository = parseRepositoryName(`${host}/app`)
    await assert.rejects(client().uploadBlob(repository, large(), 'application/octet-stream'), /connection reset|connection closed|socket hang up/)
    assert.equal(seen.filter((s) => s.startsWith('POST ')).length, 5, seen.join('\n'))
    assert.equal(seen.filter((s) => s.startsWith('HEAD ')).length, 5, seen.join('\n'))
  })

  it('a Retry-After longer than the budget ends the retries at once; a short one is waited for', async () => {
    const repository = parseRepositoryName(`${host}/app`)
    seen.length = 0
    handle = (_req, res) => res.writeHead(429, {'retry-after': '3600'}).end()
    let started = Date.now()
    await assert.rejects(client().getManifest(repository, 'v1'), /HTTP 429/)
    assert.equal(seen.length, 1, seen.join('\n'))
    assert.ok(Date.now() - started < 1000)

    seen.length = 0
    let calls = 0
    handle = (_req, res) => (++calls === 1 ? res.writeHead(503, {'retry-after': '1'}).end() : res.writeHead(404).end())
    started = Date.now()
    assert.equal(await client().findManifest(repository, 'v1'), undefined)
    assert.equal(seen.length, 2, seen.join('\n'))
    assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`)
  })
})
