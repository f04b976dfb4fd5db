import {spawn} from 'node:child_process'

import {PluginError} from '../errors.js'
import {type Credential, redacted} from './credential.js'

/** How long a helper may take; keychain helpers can wait on an unlock prompt, so be generous. */
export const DEFAULT_HELPER_TIMEOUT_MS = 60_000

// Helpers answer with one small JSON object; anything far bigger is not a helper talking.
const MAX_OUTPUT_BYTES = 1024 * 1024

export interface CredentialHelperOptions {
  /** Environment for the helper; its PATH is where `docker-credential-<name>` is looked up. */
  env: NodeJS.ProcessEnv
  timeoutMs?: number
}

/**
 * Asks `docker-credential-<helper> get` for a server URL, speaking docker's credential-helper
 * protocol: the URL on stdin, `{"ServerURL","Username","Secret"}` on stdout. A non-zero exit
 * whose output says "credentials not found" means none stored (undefined); a Username of
 * `<token>` means Secret is an identity token. Every other failure is CREDENTIAL_HELPER naming
 * the helper and registry; helper output is quoted only when it cannot be a credential.
 */
export async function getFromCredentialHelper(
  helper: string,
  serverUrl: string,
  registry: string,
  options: CredentialHelperOptions,
): Promise<Credential | undefined> {
  const program = `docker-credential-${helper}`
  const {code, stdout, stderr} = await run(program, serverUrl, registry, options)
  const fail = (what: string) =>
    new PluginError('CREDENTIAL_HELPER', `${program} ${what} for ${registry}; check it with \`echo ${serverUrl} | ${program} get\``)

  if (code !== 0) {
    if (/credentials not found/i.test(`${stdout}\n${stderr}`)) return undefined
    const said = quotable(stderr) ?? quotable(stdout)
    throw fail(`failed (exit ${code ?? 'by signal'})${said ? `: ${said}` : ''}`)
  }

  let answer: unknown
  try {
    answer = JSON.parse(stdout)
  } catch {
    // Not quoted: a broken helper may still have printed the secret.
    throw fail('returned output that is not credentials JSON')
  }

  if (typeof answer !== 'object' || answer === null) throw fail('returned output that is not credentials JSON')
  const {Username: username = '', Secret: secret = ''} = answer as Record<string, unknown>
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw fail('returned credentials whose Username or Secret is not a string')
  }

  if (!username && !secret) return undefined
  // Docker's convention: identity tokens are stored under the pseudo-user "<token>".
  if (username === '<token>') return redacted({kind: 'identity-token', token: secret})
  return redacted({kind: 'basic', username, password: secret})
}

interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

function run(program: string, serverUrl: string, registry: string, options: CredentialHelperOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], {env: options.env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true})
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (error: PluginError | undefined, result?: RunResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (error) {
        child.kill('SIGKILL')
        reject(error)
      } else resolve(result!)
    }

    const timeoutMs = options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS
    const timer = setTimeout(
      () => finish(new PluginError('CREDENTIAL_HELPER', `${program} did not answer within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)}s` : `${timeoutMs}ms`} for ${registry}`)),
      timeoutMs,
    )
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_OUTPUT_BYTES) finish(new PluginError('CREDENTIAL_HELPER', `${program} printed more than 1 MiB for ${registry}`))
      else into.push(chunk)
    }

    child.stdout.on('data', collect(out))
    child.stderr.on('data', collect(err))
    child.on('error', (error: NodeJS.ErrnoException) => {
      const message =
        error.code === 'ENOENT'
          ? `${program} not found on PATH (needed for ${registry} by the docker config; install it or remove it from credHelpers/credsStore)`
          : `${program} could not be started for ${registry}: ${error.code ?? error.message}`
      finish(new PluginError('CREDENTIAL_HELPER', message))
    })
    child.on('close', (code) => {
      finish(undefined, {code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')})
    })
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit
    // status tells the story, so the write error is not worth reporting.
    child.stdin.on('error', () => {})
    child.stdin.end(serverUrl)
  })
}

/**
 * The first line of helper output, if it is safe to show: short and not JSON (a helper that
 * prints its JSON answer and then fails must not get the secret into our message).
 */
function quotable(output: string): string | undefined {
  const line = output
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '')
  if (!line || line.startsWith('{') || line.startsWith('[')) return undefined
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
