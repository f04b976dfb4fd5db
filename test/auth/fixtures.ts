import assert from 'node:assert/strict'
import {chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inspect} from 'node:util'

/** A password that must never show up in any error or log form. */
export const SENTINEL = 'S3ntinel-Passw0rd-NEVER-PRINT'

export function basic(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`).toString('base64')
}

/** A fresh temp dir, removed when the test ends. */
export async function tempDir(t: {after: (fn: () => Promise<void>) => void}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'auth-test-'))
  t.after(() => rm(dir, {recursive: true, force: true}))
  return dir
}

/** Writes `<dir>/config.json` (an object is serialised; a string is written as-is). */
export async function writeDockerConfig(dir: string, content: unknown): Promise<string> {
  await mkdir(dir, {recursive: true})
  const path = join(dir, 'config.json')
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  return path
}

/** Installs an executable `docker-credential-<name>` shell script into `binDir`. */
export async function installHelper(binDir: string, name: string, body: string): Promise<void> {
  await mkdir(binDir, {recursive: true})
  const path = join(binDir, `docker-credential-${name}`)
  await writeFile(path, `#!/bin/sh\n${body}\n`)
  await chmod(path, 0o755)
}

/**
 * The test helper: knows 127.0.0.1:5000 (basic, SENTINEL password) and Docker Hub (an identity
 * token), says "credentials not found" for anything else; logs each server URL it is asked for.
 */
export const TEST_HELPER = `
[ "$1" = get ] || { echo "unsupported action $1" >&2; exit 2; }
url=$(cat)
[ -n "$HELPER_LOG" ] && printf '%s\\n' "$url" >> "$HELPER_LOG"
case "$url" in
  127.0.0.1:5000) printf '{"ServerURL":"%s","Username":"alice","Secret":"${SENTINEL}"}\\n' "$url" ;;
  https://index.docker.io/v1/) printf '{"ServerURL":"%s","Username":"<token>","Secret":"hub-identity-token"}\\n' "$url" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`

/** Environment with `binDir` first on PATH and nothing else from the real environment that matters. */
export function envWith(binDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {PATH: `${binDir}:${process.env.PATH ?? '/usr/bin:/bin'}`, ...extra}
}

/** Asserts a PluginError with `code`, and that no secret appears in any printable form of it. */
export async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp, secrets: string[] = [SENTINEL]): Promise<Error> {
  let caught: unknown
  await assert.rejects(promise, (error: unknown) => {
    caught = error
    return true
  })
  const error = caught as Error & {code?: string}
  assert.equal(error.name, 'PluginError', `expected PluginError, got ${inspect(error)}`)
  assert.equal(error.code, code, error.message)
  if (pattern) assert.match(error.message, pattern)
  assertNoSecret(error, secrets)
  return error
}

export function assertNoSecret(value: unknown, secrets: string[] = [SENTINEL]): void {
  const forms = [inspect(value, {depth: 10, showHidden: true}), JSON.stringify(value) ?? '', String(value)]
  if (value instanceof Error) forms.push(value.message, value.stack ?? '')
  for (const secret of secrets) {
    for (const form of forms) assert.ok(!form.includes(secret), `secret leaked in: ${form}`)
  }
}
