import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'

import {cliBin, cosign3Bin, cosignBin} from './paths.js'

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  input?: string
  timeoutMs?: number
}

/** Runs a program the way a user does (a separate process) and collects its output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: {...cleanEnv(), ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code: code ?? (signal ? 128 : 1), stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Our CLI, standalone from the checkout (`node bin/run.js ...`). */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(process.execPath, [cliBin, ...args], options)
}

/** The real cosign 2.5 from Debian trixie; its absence fails the test (no skipping). */
export function runCosign(args: string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(cosignBin)) throw new Error(`cosign not found at ${cosignBin}: run test/setup/deps.sh`)
  return run(cosignBin, args, {...options, env: {COSIGN_EXPERIMENTAL: '0', TUF_ROOT: '/nonexistent-tuf', ...options.env}})
}

/**
 * The real cosign 3.1 from Debian forky; its absence fails the test. Offline as runCosign is: no TUF
 * (key-based checks with --insecure-ignore-tlog need no trusted root), no network beyond the registry.
 */
export function runCosign3(args: string[], options: RunOptions = {}): Promise<RunResult> {
  if (!existsSync(cosign3Bin)) throw new Error(`cosign 3 not found at ${cosign3Bin}: run test/setup/deps.sh`)
  return run(cosign3Bin, args, {...options, env: {COSIGN_EXPERIMENTAL: '0', TUF_ROOT: '/nonexistent-tuf', ...options.env}})
}

/** A clean environment: no inherited registry credentials, cosign settings or CI identity tokens leak into a test. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(COSIGN_|CNB_|DOCKER_CONFIG$|SIGSTORE_|ACTIONS_ID_TOKEN_REQUEST_)/.test(key)) continue
    env[key] = value
  }

  return env
}

export function assertOneLineError(result: RunResult): string {
  const lines = result.stderr.trim().split('\n').filter((l) => l.trim().length > 0)
  if (result.code === 0) throw new Error(`expected failure, got exit 0; stdout: ${result.stdout}`)
  if (/\n\s+at .+\(.+:\d+:\d+\)/.test(result.stderr) || result.stderr.includes('    at ')) {
    throw new Error(`stack trace in stderr:\n${result.stderr}`)
  }

  return lines.join('\n')
}
