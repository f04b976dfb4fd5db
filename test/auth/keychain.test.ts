import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {inspect} from 'node:util'

import {type Credential, type RegistryAuthHooks, createKeychain} from '../../src/auth/index.js'
import {SENTINEL, TEST_HELPER, assertNoSecret, basic, envWith, installHelper, rejectsWith, tempDir, writeDockerConfig} from './fixtures.js'

const REG = '127.0.0.1:5000'

/** A temp setup: DOCKER_CONFIG dir with `config`, the test helper on PATH, a spawn log. */
async function setup(t: Parameters<typeof tempDir>[0], config?: unknown, extraEnv: NodeJS.ProcessEnv = {}) {
  const dir = await tempDir(t)
  const bin = join(dir, 'bin')
  const dockerConfig = join(dir, 'docker')
  await installHelper(bin, 'testhelper', TEST_HELPER)
  const configPath = config === undefined ? join(dockerConfig, 'config.json') : await writeDockerConfig(dockerConfig, config)
  const log = join(dir, 'helper.log')
  const env = envWith(bin, {DOCKER_CONFIG: dockerConfig, HELPER_LOG: log, ...extraEnv})
  const spawns = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean)
  return {dir, bin, env, configPath, spawns}
}

describe('keychain precedence', () => {
  const hookCred: Credential = {kind: 'basic', username: 'from-hook', password: 'h'}
  const cnb = JSON.stringify({[REG]: `Basic ${basic('from-cnb', 'c')}`})
  const docker = {auths: {[REG]: {auth: basic('from-docker', 'd')}}}

  it('hook beats CNB_REGISTRY_AUTH beats docker config beats anonymous', async (t) => {
    const {env, configPath} = await setup(t, docker, {CNB_REGISTRY_AUTH: cnb})
    const asked: string[] = []
    const hostCredentials = async (registry: string) => {
      asked.push(registry)
      return hookCred
    }

    assert.deepEqual(await createKeychain({env, hostCredentials}).resolve(REG), {...hookCred, source: 'hook'})
    assert.deepEqual(asked, [REG])
    assert.deepEqual(await createKeychain({env, hostCredentials: async () => undefined}).resolve(REG), {
      kind: 'basic',
      username: 'from-cnb',
      password: 'c',
      source: 'CNB_REGISTRY_AUTH',
    })
    const {CNB_REGISTRY_AUTH: _, ...withoutCnb} = env
    assert.deepEqual(await createKeychain({env: withoutCnb}).resolve(REG), {
      kind: 'basic',
      username: 'from-docker',
      password: 'd',
      source: 'docker-config',
      location: configPath,
    })
    assert.equal(await createKeychain({env: withoutCnb}).resolve('other.example'), undefined)
  })

  it('is anonymous with no hook, no CNB_REGISTRY_AUTH and no docker config', async (t) => {
    const {env} = await setup(t)
    const keychain = createKeychain({env})
    assert.equal(await keychain.resolve(REG), undefined)
  })

  it('reads ~/.docker/config.json from the injected home when DOCKER_CONFIG is unset', async (t) => {
    const home = await tempDir(t)
    await writeDockerConfig(join(home, '.docker'), docker)
    const credential = await createKeychain({env: {}, homeDir: home}).resolve(REG)
    assert.equal(credential?.kind === 'basic' && credential.username, 'from-docker')
  })

  it('skips a hook that answers undefined, and passes it the normalised host', async (t) => {
    const {env} = await setup(t, docker)
    const asked: string[] = []
    const keychain = createKeychain({env, hostCredentials: async (registry) => (asked.push(registry), undefined)})
    assert.equal((await keychain.resolve(`http://${REG}/v1/`))?.source, 'docker-config')
    await keychain.resolve('docker.io')
    assert.deepEqual(asked, [REG, 'index.docker.io'])
  })

  it('rejects a hook answer that is not a credential (HOST_CONTRACT)', async () => {
    const keychain = createKeychain({env: {}, hostCredentials: async () => ({username: 'u', password: SENTINEL}) as unknown as Credential})
    await rejectsWith(keychain.resolve(REG), 'HOST_CONTRACT', /registry-auth hook returned an invalid credential for 127\.0\.0\.1:5000/)
  })

  it('wraps a failing hook as CREDENTIAL_HELPER, passing PluginErrors through', async () => {
    await rejectsWith(
      createKeychain({env: {}, hostCredentials: async () => Promise.reject(new Error('vault sealed'))}).resolve(REG),
      'CREDENTIAL_HELPER',
      /registry-auth hook failed for 127\.0\.0\.1:5000: vault sealed/,
    )
  })

  it('exposes the hook declaration for implementers', () => {
    // Compile-time check: a hook implementation typed against RegistryAuthHooks.
    const options: RegistryAuthHooks['registry-auth']['options'] = {registry: 'ghcr.io'}
    const result: RegistryAuthHooks['registry-auth']['return'] = {kind: 'bearer', token: 't'}
    assert.equal(options.registry, 'ghcr.io')
    assert.equal(result?.kind, 'bearer')
  })
})

describe('keychain credential helpers', () => {
  it('asks credHelpers, then credsStore, caching one spawn per registry', async (t) => {
    const {env, configPath, spawns} = await setup(t, {credsStore: 'testhelper', auths: {[REG]: {}}})
    const keychain = createKeychain({env})
    const [a, b] = await Promise.all([keychain.resolve(REG), keychain.resolve(`https://${REG}`)])
    assert.deepEqual(a, {kind: 'basic', username: 'alice', password: SENTINEL, source: 'credential-helper:testhelper', location: configPath})
    assert.equal(a, b)
    assert.equal(await keychain.resolve('ghcr.io'), undefined)
    assert.equal(await keychain.resolve('ghcr.io'), undefined)
    assert.deepEqual(await spawns(), [REG, 'ghcr.io'])
  })

  it('asks about Docker Hub under https://index.docker.io/v1/, once for all aliases', async (t) => {
    const {env, spawns} = await setup(t, {credHelpers: {'docker.io': 'testhelper'}})
    const keychain = createKeychain({env})
    for (const alias of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
      assert.deepEqual(await keychain.resolve(alias), {
        kind: 'identity-token',
        token: 'hub-identity-token',
        source: 'credential-helper:testhelper',
        location: join(env.DOCKER_CONFIG!, 'config.json'),
      })
    }

    assert.deepEqual(await spawns(), ['https://index.docker.io/v1/'])
  })

  it('prefers the helper over inline auths, and falls back to inline when the helper has nothing', async (t) => {
    const {env} = await setup(t, {
      credsStore: 'testhelper',
      auths: {[REG]: {auth: basic('inline', 'i')}, 'ghcr.io': {auth: basic('inline-ghcr', 'g')}},
    })
    const keychain = createKeychain({env})
    assert.equal((await keychain.resolve(REG))?.source, 'credential-helper:testhelper')
    const ghcr = await keychain.resolve('ghcr.io')
    assert.equal(ghcr?.source, 'docker-config')
    assert.equal(ghcr?.kind === 'basic' && ghcr.username, 'inline-ghcr')
  })

  it('returns identitytoken and registrytoken from auths as their own kinds', async (t) => {
    const {env} = await setup(t, {
      auths: {'https://index.docker.io/v1/': {auth: basic('hubuser', ''), identitytoken: 'refresh'}, 'ghcr.io': {registrytoken: 'regtok'}},
    })
    const keychain = createKeychain({env})
    assert.deepEqual(await keychain.resolve('docker.io'), {
      kind: 'identity-token',
      token: 'refresh',
      username: 'hubuser',
      source: 'docker-config',
      location: join(env.DOCKER_CONFIG!, 'config.json'),
    })
    const ghcr = await keychain.resolve('ghcr.io')
    assert.equal(ghcr?.kind === 'bearer' && ghcr.token, 'regtok')
  })

  it('fails for a crashing or missing helper with CREDENTIAL_HELPER, caching the failure', async (t) => {
    const {env, bin} = await setup(t, {credHelpers: {[REG]: 'crash', 'ghcr.io': 'missing'}})
    await installHelper(bin, 'crash', `cat >/dev/null; echo "crashed" >&2; echo crash >> "${join(bin, 'crashes')}"; exit 2`)
    const keychain = createKeychain({env})
    await rejectsWith(keychain.resolve(REG), 'CREDENTIAL_HELPER', /docker-credential-crash failed \(exit 2\): crashed for 127\.0\.0\.1:5000/)
    await rejectsWith(keychain.resolve(REG), 'CREDENTIAL_HELPER')
    assert.equal(await readFile(join(bin, 'crashes'), 'utf8'), 'crash\n')
    await rejectsWith(keychain.resolve('ghcr.io'), 'CREDENTIAL_HELPER', /docker-credential-missing not found on PATH/)
  })
})

describe('keychain errors and secrets', () => {
  it('reports malformed CNB_REGISTRY_AUTH without its value, unless the hook answered first', async () => {
    const env = {CNB_REGISTRY_AUTH: `{"${REG}": "Basic ${SENTINEL}"`}
    await rejectsWith(createKeychain({env}).resolve(REG), 'CONFIG_INVALID', /CNB_REGISTRY_AUTH is not valid JSON/)
    const viaHook = createKeychain({env, hostCredentials: async () => ({kind: 'bearer', token: 't'})})
    assert.equal((await viaHook.resolve(REG))?.source, 'hook')
  })

  it('reports a malformed docker config naming the file, without its content', async (t) => {
    const {env, configPath} = await setup(t, `{"auths": {"${REG}": {"password": "${SENTINEL}"}`)
    const error = await rejectsWith(createKeychain({env}).resolve(REG), 'CONFIG_INVALID', /is not valid JSON/)
    assert.ok(error.message.includes(configPath))
  })

  it('never shows a secret when a resolved credential is logged or serialised', async (t) => {
    const {env} = await setup(t, {credsStore: 'testhelper'})
    const credential = await createKeychain({env}).resolve(REG)
    assert.equal(credential?.kind === 'basic' && credential.password, SENTINEL)
    assertNoSecret(credential)
    assert.match(JSON.stringify(credential), /"secret":"<redacted>"/)
    assert.match(inspect({nested: credential}), /username: 'alice'/)
    assertNoSecret(new Error(`context ${inspect(credential)} ${JSON.stringify(credential)}`))
  })

  it('rejects a registry string with no host', async () => {
    await rejectsWith(createKeychain({env: {}}).resolve('https://'), 'REFERENCE_INVALID')
  })
})
