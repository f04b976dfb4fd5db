import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {dockerConfigDir} from '../helpers/docker-config.js'
import {type EchoServer, startEchoRegistry, startEchoService} from '../helpers/echo-server.js'
import {pushImage, testClient} from '../helpers/images.js'
import {generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {type RunResult, runCli} from '../helpers/run.js'
import {createSoftHsm} from '../helpers/softhsm.js'

/**
 * Failing paths with sentinel secrets: a password, a registry password, a bearer token and an
 * identity token must not appear in anything we print — plain, --json, or with DEBUG=* logging.
 */
const SENTINELS = {
  keyPassword: 'SENTINEL-key-password-7f3a',
  registryPassword: 'SENTINEL-registry-password-91bc',
  bearer: 'SENTINEL-bearer-token-55de',
  identity: 'SENTINEL-identity-token-0a1f',
  /** A token a token server handed out. */
  issued: 'SENTINEL-issued-token-6b2e',
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

describe('an OIDC identity token never appears in output, errors, --json or debug logs', () => {
  // A well-formed JWT whose signature part is the sentinel; the claims would pass our checks.
  const claims = Buffer.from(JSON.stringify({iss: 'https://oidc.example.test', sub: 'ci@example.test', exp: Math.floor(Date.now() / 1000) + 600})).toString('base64url')
  const SENTINEL = 'SENTINEL-oidc-signature-3c9e'
  const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${claims}.${SENTINEL}`
  let registry: TestRegistry
  let refusing: ReturnType<typeof createServer>
  let refusingURL: string
  let image: string
  const work = mkdtempSync(join(tmpdir(), 'secrets-oidc-'))
  before(async () => {
    registry = await startRegistry()
    image = (await pushImage(testClient(), `${registry.host}/oidc/app:v1`)).reference
    // A Fulcio that refuses every token, echoing the request body back as its error.
    refusing = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => (body += chunk.toString()))
      req.on('end', () => res.writeHead(401, {'content-type': 'text/plain'}).end(`invalid token in ${body}`))
    })
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    refusingURL = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`
  })
  after(async () => {
    await registry.stop()
    await new Promise<void>((resolve) => refusing.close(() => resolve()))
  })

  const assertNoToken = (result: RunResult, label: string) => {
    const output = result.stdout + result.stderr
    assert.ok(!output.includes(SENTINEL) && !output.includes(token), `${label}: the identity token leaked:\n${output}`)
  }

  it('Fulcio unreachable or refusing the token, by flag, file or SIGSTORE_ID_TOKEN, direct and signer phase', async () => {
    const tokenFile = join(work, 'token')
    writeFileSync(tokenFile, token)
    const report = writeReport(work, [image], `sha256:${'d'.repeat(64)}`, 'oidc-report.toml')
    for (const fulcio of ['http://127.0.0.1:1', refusingURL]) {
      const config = writeFile(work, 'oidc-cosign.toml', `[[configs]]\nkeyless = true\nfulcio-url = "${fulcio}"\n`)
      const runs: [string[], NodeJS.ProcessEnv][] = [
        [['sign', image, '--keyless', '--identity-token', token, '--fulcio-url', fulcio], {}],
        [['sign', image, '--keyless', '--identity-token', tokenFile, '--fulcio-url', fulcio], {}],
        [['sign', image, '--keyless', '--fulcio-url', fulcio], {SIGSTORE_ID_TOKEN: token}],
        [['sign', '--report', report, '--cosign-config', config, '--identity-token', token], {}],
      ]
      for (const [args, env] of runs) {
        for (const extra of [[], ['--json']]) {
          // oclif's DEBUG output echoes argv: a token given on the command line shows there (as in
          // `ps`), which is why the README recommends a file or SIGSTORE_ID_TOKEN.
          const debug = args.includes(token) ? {} : {DEBUG: '*'}
          const result = await runCli([...args, ...extra], {env: {...env, ...debug}})
          assert.notEqual(result.code, 0, `${args.join(' ')}: ${result.stdout}`)
          assertNoToken(result, `${args.join(' ')} ${extra.join(' ')}`)
        }
      }
    }
  })
})

describe("a PKCS#11 token's PIN never appears in output, errors, --json or debug logs", () => {
  // The token's real PIN is the sentinel: every run that logs in (and then fails at the registry)
  // held it; the wrong-PIN runs held a second one.
  const PIN = 'SENTINEL-token-pin-2d7c'
  const WRONG = 'SENTINEL-wrong-pin-8b3f'
  const work = mkdtempSync(join(tmpdir(), 'secrets-pkcs11-'))
  const hsm = createSoftHsm()
  let registry: TestRegistry
  let image: string
  let key: string
  before(async () => {
    registry = await startRegistry({htpasswd: {username: 'ci', password: 'the-real-password'}})
    const client = testClient({resolve: async () => ({kind: 'basic', username: 'ci', password: 'the-real-password'})})
    image = (await pushImage(client, `${registry.host}/pkcs11/app:v1`)).reference
    const token = hsm.initToken('secrets', PIN)
    hsm.generateKey(token, 'EC:prime256v1', 'k', '01')
    key = hsm.uri(token, {object: 'k'})
  })
  after(() => registry.stop())

  const variants = [[], ['--json']]
  const assertNoPin = (result: RunResult, label: string) => {
    const output = result.stdout + result.stderr
    for (const pin of [PIN, WRONG]) {
      assert.ok(!output.includes(pin) && !output.includes(encodeURIComponent(pin)), `${label}: a PIN leaked:\n${output}`)
    }
  }

  it('the right PIN (COSIGN_PASSWORD, --password-file, pin-source, cosign.toml password) with the registry refusing, and a wrong PIN', async () => {
    const pinFile = join(work, 'pin.txt')
    writeFileSync(pinFile, `${PIN}\n`)
    const wrongFile = join(work, 'wrong.txt')
    writeFileSync(wrongFile, `${WRONG}\n`)
    const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'ci', password: SENTINELS.registryPassword}})
    const runs: [string[], NodeJS.ProcessEnv, number][] = [
      [['sign', image, '--key', key], {COSIGN_PASSWORD: PIN, DOCKER_CONFIG}, 5],
      [['sign', image, '--key', key, '--password-file', pinFile], {DOCKER_CONFIG}, 5],
      [['sign', image, '--key', `${key}&pin-source=${pinFile}`], {DOCKER_CONFIG}, 5],
      [['sign', image, '--key', key], {COSIGN_PASSWORD: WRONG}, 3],
      [['sign', image, '--key', key, '--password-file', wrongFile], {}, 3],
    ]
    for (const [args, env, code] of runs) {
      for (const extra of variants) {
        for (const debug of [{}, {DEBUG: '*'}]) {
          const result = await runCli([...args, ...extra], {env: {...hsm.env, ...env, ...debug}})
          assert.equal(result.code, code, result.stderr)
          assertNoPin(result, `${args.slice(3).join(' ')} ${extra.join(' ')} ${JSON.stringify(debug)}`)
          assertNoSecrets(result, 'pkcs11')
        }
      }
    }

    const report = writeReport(work, [image], `sha256:${'e'.repeat(64)}`, 'pkcs11-report.toml')
    for (const password of [pinFile, wrongFile]) {
      const config = writeFile(work, 'pkcs11-cosign.toml', `[[configs]]\nkey = "${key}"\npassword = "${password}"\n`)
      for (const extra of variants) {
        const result = await runCli(['sign', '--report', report, '--cosign-config', config, ...extra], {env: {...hsm.env, DOCKER_CONFIG, DEBUG: '*'}})
        assert.equal(result.code, 8, result.stderr)
        assertNoPin(result, `signer phase ${password} ${extra.join(' ')}`)
      }
    }
  })

  it('a pin-value in the URI is left out of every message (no DEBUG: oclif echoes argv there, as `ps` shows it)', async () => {
    for (const [pin, code] of [[PIN, 5], [WRONG, 3]] as const) {
      for (const extra of variants) {
        const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'ci', password: SENTINELS.registryPassword}})
        const result = await runCli(['sign', image, '--key', `${key}&pin-value=${pin}`, ...extra], {env: {...hsm.env, DOCKER_CONFIG}})
        assert.equal(result.code, code, result.stderr)
        assertNoPin(result, `pin-value ${extra.join(' ')}`)
      }
    }

    const verified = await runCli(['verify', image, '--key', `${key}&pin-value=${PIN}`], {env: hsm.env})
    assert.notEqual(verified.code, 0)
    assertNoPin(verified, 'verify --key with pin-value')
  })
})

describe('servers that echo a secret in their error: quoted without it', () => {
  const work = mkdtempSync(join(tmpdir(), 'secrets-echo-'))
  let registry: TestRegistry
  let image: string
  const servers: EchoServer[] = []
  before(async () => {
    registry = await startRegistry()
    image = (await pushImage(testClient(), `${registry.host}/echo/app:v1`)).reference
  })
  after(async () => {
    await registry.stop()
    await Promise.all(servers.map((s) => s.stop()))
  })
  const started = async (server: Promise<EchoServer>) => {
    servers.push(await server)
    return servers.at(-1)!
  }

  it('a registry quoting the Authorization header: basic credentials, a registry token, a token its token server issued', async () => {
    const key = await generateTestKey(work, 'e1')
    const basic = await started(startEchoRegistry('basic', SENTINELS.issued))
    const bearer = await started(startEchoRegistry('bearer', SENTINELS.issued))
    const runs: [EchoServer, NodeJS.ProcessEnv][] = [
      [basic, {DOCKER_CONFIG: dockerConfigDir({[basic.host]: {username: 'ci', password: SENTINELS.registryPassword}})}],
      [basic, {CNB_REGISTRY_AUTH: JSON.stringify({[basic.host]: `Bearer ${SENTINELS.bearer}`}), DOCKER_CONFIG: dockerConfigDir({})}],
      [bearer, {DOCKER_CONFIG: dockerConfigDir({[bearer.host]: {username: 'ci', password: SENTINELS.registryPassword}})}],
      [bearer, {DOCKER_CONFIG: identityTokenConfig(work, bearer.host, SENTINELS.identity)}],
    ]
    for (const [server, env] of runs) {
      for (const extra of [[], ['--json']]) {
        const result = await runCli(['sign', `${server.host}/echo/app:v1`, '--key', key.key, '--password-file', key.passwordFile, ...extra], {env: {...env, DEBUG: '*'}})
        assert.equal(result.code, 5, result.stderr)
        // The registry's own words are still there, with the secret taken out.
        assert.match(result.stdout + result.stderr, /DENIED: GET \/v2\/echo\/app\/manifests\/v1 refused for Authorization: (Basic|Bearer) <redacted>/)
        assertNoSecrets(result, `echoing registry ${JSON.stringify(env)} ${extra.join(' ')}`)
      }
    }
  })

  it('Rekor and the timestamp authority quoting a secret the process holds (here, the key password)', async () => {
    const key = await generateTestKey(work, 'e2', SENTINELS.keyPassword)
    const rekor = await started(startEchoService(400, `(key password ${SENTINELS.keyPassword})`))
    const tsa = await started(startEchoService(400, `(key password ${SENTINELS.keyPassword})`))
    for (const flags of [['--tlog-upload', '--rekor-url', rekor.url], ['--tsa-url', tsa.url]]) {
      const result = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, ...flags], {env: {DEBUG: '*'}})
      assert.equal(result.code, 13, result.stderr)
      assert.match(result.stderr, /answered HTTP 400: \(key password <redacted>\) refused \{/)
      assertNoSecrets(result, flags.join(' '))
    }
  })
})

function identityTokenConfig(dir: string, host: string, token: string): string {
  const configDir = mkdtempSync(join(dir, 'idtoken-'))
  writeFileSync(join(configDir, 'config.json'), JSON.stringify({auths: {[host]: {identitytoken: token}}}))
  return configDir
}
