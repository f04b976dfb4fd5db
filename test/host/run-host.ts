import {lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import {repoRoot} from '../helpers/paths.js'
import {type RunOptions, type RunResult, run} from '../helpers/run.js'

/** The test host: a pack-ts CLI with the plugin as a core plugin (test/host/package.json). */
export const hostRoot = join(repoRoot, 'test', 'host')
export const hostBin = join(hostRoot, 'bin', 'run.js')

/**
 * Installs the plugin into the host the way `npm install` does for its `file:../..` dependency: a
 * symlink in the host's node_modules (relative, so a clone can move). Offline and instant; safe to
 * call from test files running in parallel.
 */
export function installPlugin(): void {
  const link = join(hostRoot, 'node_modules', '@pack-ts', 'plugin-sign')
  try {
    lstatSync(link)
    return
  } catch {
    // not linked yet
  }

  mkdirSync(dirname(link), {recursive: true})
  try {
    symlinkSync('../../../..', link, 'dir')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
}

/** An empty docker config and oclif data/cache dirs: only what a test passes reaches the host. */
export function isolatedEnv(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'pack-ts-host-'))
  mkdirSync(join(dir, 'docker'))
  writeFileSync(join(dir, 'docker', 'config.json'), '{"auths":{}}')
  return {DOCKER_CONFIG: join(dir, 'docker'), XDG_DATA_HOME: join(dir, 'data'), XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config')}
}

/** `pack-ts ARGS...`, spawned as a user runs it. */
export function runHost(args: string[], options: RunOptions = {}): Promise<RunResult> {
  installPlugin()
  return run(process.execPath, [hostBin, ...args], {...options, env: {...isolatedEnv(), ...options.env}})
}
