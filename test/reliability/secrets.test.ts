import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {dockerConfigDir} from '../helpers/docker-config.js'
import {pushImage, testClient} from '../helpers/images.js'
import {generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {type RunResult, runCli} from '../helpers/run.js'

/**
 * Failing paths with sentinel secrets: a password, a registry password, a bearer token and an
 * identity token must not appear in anything we print — plain, --json, or with DEBUG=* logging.
 */
const SENTINELS = {
  keyPassword: 'SENTINEL-key-password-7f3a',
  registryPassword: 'SENTINEL-registry-password-91bc',
  bearer: 'SENTINEL-bearer-token-55de',
  identity: 'SENTINEL-identity-token-0a1f',
}

function assertNoSecrets(result: RunResult, label: string): void {
  const output = result.stdout + result.stderr
  for (const [name, value] of Object.entries(SENTINELS)) {
    assert.ok(!output.includes(value), `${label}: ${name} leaked:\n${output}`)
    assert.ok(!output.includes(Buffer.from(`ci:${value}`).toString('base64')), `${label}: ${name} leaked base64-encoded`)
  }
}

describe('secrets never appear in output, errors, --json or debug logs', () => {
  let registry: TestRegistry
  const work = mkdtempSync(join(tmpdir(), 'secrets-'))
  let image: string
  before(async () => {
    registry = await startRegistry({htpasswd: {username: 'ci', password: 'the-real-password'}})
    const client = testClient({resolve: async () => ({kind: 'basic', username: 'ci', password: 'the-real-password'})})
    image = (await pushImage(client, `${registry.host}/secret/app:v1`)).reference
  })
  after(() => registry.stop())

  const variants = [[], ['--json']]
  const debug = [{}, {DEBUG: '*'}]

  it('wrong key password', async () => {
    const key = await generateTestKey(work, 'k1')
    for (const extra of variants) {
      for (const env of debug) {
        const result = await runCli(['sign', image, '--key', key.key, ...extra], {env: {...env, COSIGN_PASSWORD: SENTINELS.keyPassword}})
        assert.notEqual(result.code, 0)
        assertNoSecrets(result, `wrong password ${extra} ${JSON.stringify(env)}`)
      }
    }
  })

  it('registry password rejected (docker config), bearer token and identity token rejected (CNB_REGISTRY_AUTH, docker config)', async () => {
    const key = await generateTestKey(work, 'k2')
    const environments: NodeJS.ProcessEnv[] = [
      {DOCKER_CONFIG: dockerConfigDir({[registry.host]: {username: 'ci', password: SENTINELS.registryPassword}})},
      {CNB_REGISTRY_AUTH: JSON.stringify({[registry.host]: `Bearer ${SENTINELS.bearer}`}), DOCKER_CONFIG: dockerConfigDir({})},
      {CNB_REGISTRY_AUTH: JSON.stringify({[registry.host]: `Basic ${Buffer.from(`ci:${SENTINELS.registryPassword}`).toString('base64')}`})},
      {DOCKER_CONFIG: identityTokenConfig(work, registry.host, SENTINELS.identity)},
    ]
    for (const authEnv of environments) {
      for (const extra of variants) {
        for (const env of debug) {
          const result = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, ...extra], {env: {...authEnv, ...env}})
          assert.notEqual(result.code, 0)
          assertNoSecrets(result, `registry auth ${Object.keys(authEnv).join(',')} ${extra} ${JSON.stringify(env)}`)
        }
      }
    }
  })

  it('signer phase with a sentinel password file and wrong registry password', async () => {
    const key = await generateTestKey(work, 'k3')
    writeFileSync(join(work, 'sentinel.password'), `${SENTINELS.keyPassword}\n`)
    const report = writeReport(work, [image], `sha256:${'c'.repeat(64)}`, 'secret-report.toml')
    const config = writeFile(work, 'secret-cosign.toml', `[[configs]]\nkey = "${key.key}"\npassword = "sentinel.password"\n`)
    const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'ci', password: SENTINELS.registryPassword}})
    for (const extra of variants) {
      const result = await runCli(['sign', '--report', report, '--cosign-config', config, ...extra], {env: {DOCKER_CONFIG, DEBUG: '*'}})
      assert.equal(result.code, 8, result.stderr)
      assertNoSecrets(result, `signer phase ${extra}`)
    }
  })
})

function identityTokenConfig(dir: string, host: string, token: string): string {
  const configDir = mkdtempSync(join(dir, 'idtoken-'))
  writeFileSync(join(configDir, 'config.json'), JSON.stringify({auths: {[host]: {identitytoken: token}}}))
  return configDir
}
