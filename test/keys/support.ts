/** Small helpers for the key tests: temp dirs, the real cosign CLI, and PluginError assertions. */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {type ErrorCode, isPluginError} from '../../src/errors.js'

// Compiled to .cache/test-build/test/keys/, four levels below the repository root.
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
export const COSIGN = join(ROOT, '.cache/cosign/usr/bin/cosign')

export async function tempDir(t: {after(fn: () => Promise<void>): void}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'keys-test-'))
  t.after(() => rm(dir, {recursive: true, force: true}))
  return dir
}

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

export function run(command: string, args: string[], options: {cwd: string; env?: Record<string, string>}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // HOME in the temp dir keeps cosign's ~/.sigstore cache out of the user's home.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {PATH: process.env.PATH ?? '', HOME: options.cwd, ...options.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

/** Runs the real cosign 2.5; its absence fails the test (run `bash test/setup/deps.sh`). */
export async function cosign(args: string[], options: {cwd: string; env?: Record<string, string>}): Promise<Run> {
  assert.ok(existsSync(COSIGN), `cosign is missing at ${COSIGN}; run bash test/setup/deps.sh`)
  const result = await run(COSIGN, args, options)
  assert.equal(result.code, 0, `cosign ${args.join(' ')} failed:\n${result.stderr}`)
  return result
}

/** Asserts a PluginError with this code whose message contains every fragment. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, ...fragments: string[]): Promise<Error> {
  let caught: unknown
  await assert.rejects(promise, (error) => {
    caught = error
    return true
  })
  assert.ok(isPluginError(caught), `expected a PluginError, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `"${caught.message}" lacks "${fragment}"`)
  return caught
}
