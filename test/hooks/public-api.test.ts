import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {repoRoot} from '../helpers/paths.js'
import {hostRoot, installPlugin} from '../host/run-host.js'

// The package as a host sees it: imported by name from the host folder, where npm put it.
function nodeInHost(script: string) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {cwd: hostRoot, encoding: 'utf8'})
}

describe('public API: the package imported by name from a host', () => {
  it('exports the error type, exit codes and the hook name, and hides dist/ paths', () => {
    installPlugin()
    const api = nodeInHost(`
      const api = await import('@pack-ts/plugin-sign')
      const error = new api.PluginError('REGISTRY_AUTH', 'no access')
      console.log(JSON.stringify({keys: Object.keys(api).sort(), hook: api.REGISTRY_AUTH_HOOK, auth: api.EXIT_CODES.REGISTRY_AUTH, is: api.isPluginError(error), exit: error.exitCode}))`)
    assert.equal(api.status, 0, api.stderr)
    const seen = JSON.parse(api.stdout) as {keys: string[]; hook: string; auth: number; is: boolean; exit: number}
    assert.deepEqual(seen.keys, ['EXIT_CODES', 'PluginError', 'REGISTRY_AUTH_HOOK', 'isPluginError'])
    assert.equal(seen.hook, 'registry-auth')
    assert.equal(seen.auth, 5)
    assert.equal(seen.is, true)
    assert.equal(seen.exit, 5)

    const deep = nodeInHost(`await import('@pack-ts/plugin-sign/dist/auth/hook.js')`)
    assert.notEqual(deep.status, 0)
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/)
  })

  it('its types compile in a host that imports them by name (exports map → dist/index.d.ts)', () => {
    installPlugin()
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc')
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', join(repoRoot, 'node_modules', '@types'), '--skipLibCheck']
    const result = spawnSync(process.execPath, [tsc, ...options, join(hostRoot, 'api-consumer.mts')], {cwd: hostRoot, encoding: 'utf8'})
    assert.equal(result.status, 0, result.stdout + result.stderr)
  })
})
