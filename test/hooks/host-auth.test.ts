import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {dockerConfigDir} from '../helpers/docker-config.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {type RunResult, assertOneLineError, runCosign} from '../helpers/run.js'
import {registrySnapshot} from '../helpers/snapshot.js'
import {runHost} from '../host/run-host.js'
import {type SigningSetup, signingSetup} from '../host/signing-setup.js'

const work = mkdtempSync(join(tmpdir(), 'host-auth-'))
const USER = {username: 'builder', password: 'registry secret'}

/**
 * An htpasswd registry whose credentials only the host has: the host's build pushes with the
 * lifecycle's credentials, and the plugin signs with what the host's `registry-auth` hook answers
 * (the docker config the plugin would read next is empty).
 */
describe('build --sign with the host\'s credentials (registry-auth hook)', () => {
  let registry: TestRegistry
  let keys: SigningSetup

  before(async () => {
    ;[registry, keys] = await Promise.all([startRegistry({htpasswd: USER}), signingSetup(work)])
  })
  after(() => registry.stop())

  function build(repository: string, hookCredentials?: {username: string; password: string}) {
    const env: NodeJS.ProcessEnv = {PACK_TS_TEST_LIFECYCLE_AUTH: JSON.stringify({[registry.host]: USER})}
    if (hookCredentials) env.PACK_TS_TEST_AUTH = JSON.stringify({[registry.host]: hookCredentials})
    const args = ['build', `${registry.host}/${repository}:v1`, '--publish', '--sign', '--cosign-config', keys.cosignConfig]
    return runHost(args, {cwd: mkdtempSync(join(work, 'cwd-')), env})
  }

  /** The one `Error:` line, after listr2's plain progress lines (stderr is not a TTY here). */
  function errorLine(result: RunResult): string {
    const errors = assertOneLineError(result).split('\n').filter((line) => line.startsWith('Error: '))
    assert.equal(errors.length, 1, result.stderr)
    return errors[0]!
  }

  async function signatureTags(repository: string): Promise<string[]> {
    return Object.keys(await registrySnapshot(registry)).filter((k) => k.startsWith(`${repository}:sha256-`))
  }

  it('signs with the credentials the hook serves; cosign verifies', async () => {
    const built = await build('hooked', USER)
    assert.equal(built.code, 0, built.stderr)
    assert.match(built.stdout, /^Signed /m)
    const verified = await runCosign(['verify', '--key', keys.pub, '--insecure-ignore-tlog', '--allow-http-registry', `${registry.host}/hooked:v1`], {
      env: {DOCKER_CONFIG: dockerConfigDir({[registry.host]: USER})},
    })
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('the same build without the hook\'s credentials fails, and writes nothing', async () => {
    const built = await build('unhooked')
    assert.equal(built.code, 8, built.stderr)
    assert.match(errorLine(built), /^Error: preflight found .* nothing was written: .*unhooked.*refused anonymous access \(no credentials found\)/)
    assert.match(built.stdout, /^Successfully built image /)
    assert.deepEqual(await signatureTags('unhooked'), [])
  })

  it('a registry that rejects the signer\'s credentials fails the build command', async () => {
    const built = await build('rejected', {...USER, password: 'wrong'})
    assert.notEqual(built.code, 0)
    assert.match(errorLine(built), /^Error: preflight found .*rejected.*refused credentials from hook.*HTTP 401/)
    assert.deepEqual(await signatureTags('rejected'), [])
  })
})
