import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {formatExchange, namespaceEnabled, redactUrl} from '../../src/http/debug-log.js'
import {rememberSecret} from '../../src/util/secrets.js'
import {dockerConfigDir} from '../helpers/docker-config.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {runCli} from '../helpers/run.js'
import {type TokenServer, startTokenServer} from '../helpers/token-server.js'

describe('DEBUG=pack-ts:http: which DEBUG values turn it on', () => {
  it('reads DEBUG as the debug package does', () => {
    for (const on of ['pack-ts:http', 'pack-ts:*', '*', 'oclif:*,pack-ts:http', 'oclif:* pack-ts:http', ' pack-ts:http ,x']) {
      assert.ok(namespaceEnabled('pack-ts:http', on), on)
    }

    for (const off of [undefined, '', 'pack-ts', 'pack-ts:httpx', 'oclif:*', '*,-pack-ts:http', 'pack-ts:*,-pack-ts:*', 'pack.ts:http']) {
      assert.ok(!namespaceEnabled('pack-ts:http', off), String(off))
    }
  })
})

describe('DEBUG=pack-ts:http: what a line shows', () => {
  it('method, URL, status, time, and the try when retried', () => {
    const url = new URL('https://registry.example/v2/app/manifests/v1')
    assert.equal(formatExchange({method: 'GET', url}, {status: 200}, 12), 'pack-ts:http GET https://registry.example/v2/app/manifests/v1 200 12ms')
    assert.equal(formatExchange({method: 'HEAD', url, attempt: 3}, {status: 503}, 7), 'pack-ts:http HEAD https://registry.example/v2/app/manifests/v1 503 7ms attempt 3')
    const failed = Object.assign(new Error('no answer from registry.example within 2s'), {kind: 'timeout'})
    assert.equal(formatExchange({method: 'GET', url, attempt: 2}, {error: failed}, 2001), 'pack-ts:http GET https://registry.example/v2/app/manifests/v1 failed (timeout: no answer from registry.example within 2s) 2001ms attempt 2')
  })

  it('takes credentials out of URLs: user info, pre-signed storage signatures, tokens in the query', () => {
    const cases: [string, string][] = [
      ['https://user:pass@registry.example/v2/', 'https://<redacted>@registry.example/v2/'],
      [
        'https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123&X-Amz-Security-Token=tok',
        'https://bucket.s3.amazonaws.com/blob?X-Amz-Algorithm=AWS4&X-Amz-Credential=<redacted>&X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>',
      ],
      ['https://acct.blob.core.windows.net/c/b?sv=2020&sp=r&sig=c2VjcmV0', 'https://acct.blob.core.windows.net/c/b?sv=2020&sp=r&sig=<redacted>'],
      ['https://auth.example/token?service=reg&scope=repository:a:pull&access_token=t0k3n', 'https://auth.example/token?service=reg&scope=repository:a:pull&access_token=<redacted>'],
      // distribution's upload state and the digest stay: they say which upload it was.
      ['http://127.0.0.1:5000/v2/a/blobs/uploads/u?_state=abc&digest=sha256%3A00', 'http://127.0.0.1:5000/v2/a/blobs/uploads/u?_state=abc&digest=sha256%3A00'],
    ]
    for (const [url, shown] of cases) assert.equal(redactUrl(new URL(url)), shown)
  })

  it('goes through the secret redaction last', () => {
    rememberSecret('SENTINEL-in-a-path-8d1e')
    const line = formatExchange({method: 'GET', url: new URL('https://r.example/v2/SENTINEL-in-a-path-8d1e/tags/list')}, {status: 404}, 3)
    assert.ok(!line.includes('SENTINEL-in-a-path-8d1e'), line)
  })
})

const LINE = /^pack-ts:http (GET|HEAD|PUT|POST|PATCH|DELETE) (https?:\/\/\S+) (\d{3}|failed \(.*\)) \d+ms( attempt \d+)?$/
/** A JSON Web Token anywhere in the text (what bearer tokens from a token server are). */
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/

describe('DEBUG=pack-ts:http on a real sign', () => {
  const work = mkdtempSync(join(tmpdir(), 'debug-log-'))
  const password = 'SENTINEL-registry-password-d3b6'
  let registry: TestRegistry
  let tokens: TokenServer
  let tokenRegistry: TestRegistry
  let key: TestKey
  before(async () => {
    registry = await startRegistry({htpasswd: {username: 'ci', password}})
    tokens = await startTokenServer(mkdtempSync(join(work, 'tokens-')), {ci: {password, actions: ['pull', 'push']}})
    tokenRegistry = await startRegistry({authYaml: tokens.authYaml})
    key = await generateTestKey(work, 'debug')
  })
  after(async () => {
    await registry.stop()
    await tokenRegistry.stop()
    await tokens.stop()
  })

  const credentials = {resolve: async () => ({kind: 'basic' as const, username: 'ci', password})}
  const sign = (image: string, host: string, env: NodeJS.ProcessEnv) =>
    runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile], {env: {DOCKER_CONFIG: dockerConfigDir({[host]: {username: 'ci', password}}), ...env}})
  const assertNoSecrets = (output: string) => {
    assert.ok(!output.includes(password), `the password leaked:\n${output}`)
    assert.ok(!output.includes(Buffer.from(`ci:${password}`).toString('base64')), `the basic credential leaked:\n${output}`)
    assert.ok(!/authorization/i.test(output), `a header leaked:\n${output}`)
  }

  it('basic auth: one line per request with method, URL, status and time; never the password', async () => {
    const image = await pushImage(testClient(credentials), `${registry.host}/debug/app:v1`)
    const result = await sign(image.reference, registry.host, {DEBUG: 'pack-ts:http'})
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('pack-ts:http '))
    for (const line of lines) assert.match(line, LINE)
    const seen = lines.map((line) => LINE.exec(line)!).map((m) => `${m[1]} ${new URL(m[2]!).pathname} ${m[3]}`)
    // The challenge, the authorized read, the uploads and the tag write, each with its status.
    assert.ok(seen.includes('GET /v2/debug/app/manifests/v1 401'), seen.join('\n'))
    assert.ok(seen.includes('GET /v2/debug/app/manifests/v1 200'), seen.join('\n'))
    assert.ok(seen.some((s) => /^(POST|PUT) \/v2\/debug\/app\/blobs\/uploads\/\S* 20[12]$/.test(s)), seen.join('\n'))
    assert.ok(seen.includes(`PUT /v2/debug/app/manifests/sha256-${image.digest.slice(7)}.sig 201`), seen.join('\n'))
    assertNoSecrets(result.stdout + result.stderr)
  })

  it('also with DEBUG=pack-ts:* and DEBUG=*; not without DEBUG, nor with the name excluded', async () => {
    const image = await pushImage(testClient(credentials), `${registry.host}/debug/other:v1`)
    for (const [debug, logged] of [['pack-ts:*', true], ['*', true], ['', false], ['*,-pack-ts:http', false]] as const) {
      const result = await sign(image.reference, registry.host, {DEBUG: debug})
      assert.equal(result.code, 0, result.stderr)
      assert.equal(/^pack-ts:http GET /m.test(result.stderr), logged, `DEBUG=${debug}:\n${result.stderr}`)
      assertNoSecrets(result.stdout + result.stderr)
    }
  })

  it('token auth: the token requests show, the bearer tokens they hand out never do', async () => {
    const image = await pushImage(testClient(credentials), `${tokenRegistry.host}/debug/app:v1`)
    const result = await sign(image.reference, tokenRegistry.host, {DEBUG: 'pack-ts:http'})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, new RegExp(`^pack-ts:http GET ${tokens.realm.replace(/[.]/g, '\\.')}\\?service=\\S+&scope=\\S+ 200 \\d+ms$`, 'm'))
    assert.match(result.stderr, /^pack-ts:http PUT http:\/\/\S+\/manifests\/sha256-[0-9a-f]{64}\.sig 201 \d+ms$/m)
    assert.ok(!JWT.test(result.stdout + result.stderr), `a bearer token leaked:\n${result.stderr}`)
    assertNoSecrets(result.stdout + result.stderr)
  })

  it('a bearer token given as the credential (CNB_REGISTRY_AUTH) is refused, and never shown', async () => {
    const bearer = 'SENTINEL-bearer-token-71c4'
    const image = await pushImage(testClient(credentials), `${registry.host}/debug/bearer:v1`)
    const result = await sign(image.reference, registry.host, {DEBUG: 'pack-ts:http', CNB_REGISTRY_AUTH: JSON.stringify({[registry.host]: `Bearer ${bearer}`})})
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /^pack-ts:http GET http:\/\/\S+\/v2\/debug\/bearer\/manifests\/v1 401 \d+ms$/m)
    assert.ok(!(result.stdout + result.stderr).includes(bearer), `the bearer token leaked:\n${result.stderr}`)
  })
})
