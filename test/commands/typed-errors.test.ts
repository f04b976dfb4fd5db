import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import {mkdtempSync} from 'node:fs'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {after, before, describe, it} from 'node:test'

import {parseReference} from '../../src/reference/reference.js'
import {MediaType} from '../../src/registry/media-types.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/**
 * Failures that used to surface as the wrong class: Fulcio, Rekor and the TSA under the registry's
 * exit codes, a missing --trusted-root as a key problem with raw ENOENT text, an image config that
 * is not JSON as "unexpected error". Each is one line with its own documented exit code.
 */
describe('typed errors: Sigstore services, --trusted-root, the image config', () => {
  const work = mkdtempSync(join(tmpdir(), 'typed-errors-'))
  let registry: TestRegistry
  let key: TestKey
  let image: string
  let refusing: ReturnType<typeof createServer>
  let refusingURL: string
  // Claims our checks accept; Fulcio (here: none, or one that refuses) would check the signature.
  const claims = Buffer.from(JSON.stringify({iss: 'https://oidc.example.test', sub: 'ci@example.test', exp: Math.floor(Date.now() / 1000) + 600})).toString('base64url')
  const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${claims}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`

  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'typed')
    image = (await pushImage(testClient(), `${registry.host}/typed/app:v1`)).reference
    refusing = createServer((_req, res) => res.writeHead(401, {'content-type': 'application/json'}).end('{"code":16,"message":"invalid identity token"}'))
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve))
    refusingURL = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`
  })
  after(async () => {
    await registry.stop()
    await new Promise<void>((resolve) => refusing.close(() => resolve()))
  })

  it('Fulcio unreachable, or refusing the identity token: exit 13, naming Fulcio', async () => {
    const unreachable = await runCli(['sign', image, '--keyless', '--identity-token', token, '--fulcio-url', 'http://127.0.0.1:1'])
    assert.equal(unreachable.code, 13, unreachable.stderr)
    assert.match(assertOneLineError(unreachable), /^Error: Fulcio at http:\/\/127\.0\.0\.1:1 is unreachable: /m)

    const refused = await runCli(['sign', image, '--keyless', '--identity-token', token, '--fulcio-url', refusingURL, '--json'])
    assert.equal(refused.code, 13, refused.stderr)
    const document = JSON.stringify(JSON.parse(refused.stdout))
    assert.match(document, /"code":"SIGSTORE_SERVICE"/)
    assert.match(document, /Fulcio at http:\/\/127\.0\.0\.1:\d+ answered HTTP 401: invalid identity token; the identity token was refused/)
  })

  it('Rekor unreachable with --tlog-upload: exit 13, naming Rekor', async () => {
    const result = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, '--tlog-upload', '--rekor-url', 'http://127.0.0.1:1'])
    assert.equal(result.code, 13, result.stderr)
    assert.match(assertOneLineError(result), /Rekor at http:\/\/127\.0\.0\.1:1 is unreachable/)
  })

  it('the timestamp authority refusing: exit 13, naming it', async () => {
    const result = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, '--tsa-url', refusingURL])
    assert.equal(result.code, 13, result.stderr)
    assert.match(assertOneLineError(result), /the timestamp authority at http:\/\/127\.0\.0\.1:\d+ answered HTTP 401/)
  })

  it('a --trusted-root file that is not there: a usage error (exit 2) naming the file and what to pass, without errno text', async () => {
    const missing = join(work, 'nowhere', 'trusted_root.json')
    const result = await runCli(['verify', image, '--certificate-identity', 'ci@example.test', '--certificate-oidc-issuer', 'https://oidc.example.test', '--trusted-root', missing])
    assert.equal(result.code, 2, result.stderr)
    const line = assertOneLineError(result)
    assert.equal(line.split('\n').length, 1, line)
    assert.match(line, new RegExp(`--trusted-root ${missing.replaceAll('/', '\\/')} does not exist: pass the path of a Sigstore trusted root JSON file`))
    assert.doesNotMatch(line, /ENOENT|no such file/)
  })

  it('a --trusted-root file of binary junk: one line naming the file and what to pass, never its bytes', async () => {
    const junk = writeFile(work, 'junk.bin', 'JUNK\u0001\u0002\u00ff\u0007 not json at all SENTINEL-BYTES')
    const result = await runCli(['verify', image, '--certificate-identity', 'ci@example.test', '--certificate-oidc-issuer', 'https://oidc.example.test', '--trusted-root', junk])
    assert.equal(result.code, 3, result.stderr)
    const line = assertOneLineError(result)
    assert.match(line, /the trusted root .*junk\.bin is not JSON \(\d+ characters\): pass a Sigstore trusted root JSON file/)
    assert.doesNotMatch(result.stderr, /SENTINEL-BYTES|JUNK/)
  })

  it('an image config that is not JSON, in the signer phase: SBOM_INVALID (exit 11) naming the image and its config', async () => {
    const client = testClient()
    const repository = parseReference(`${registry.host}/typed/broken:v1`).repository
    const layer = await client.uploadBlob(repository, gzipSync(Buffer.from('app')), MediaType.ociLayerGzip)
    const config = await client.uploadBlob(repository, Buffer.from('{"architecture": "amd64", not json'), MediaType.ociConfig)
    const manifest = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer]}))
    const pushed = await client.putManifest(repository, 'v1', manifest, MediaType.ociManifest)
    const report = writeReport(work, [`${registry.host}/typed/broken:v1`], pushed.digest, 'broken-report.toml')
    const cosign = writeFile(work, 'broken-cosign.toml', `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\n`)
    const result = await runCli(['sign', '--report', report, '--cosign-config', cosign])
    assert.equal(result.code, 11, result.stderr)
    const line = assertOneLineError(result).split('\n').at(-1)!
    assert.match(line, new RegExp(`typed/broken@${pushed.digest}: its image config ${config.digest} is not valid JSON`))
    assert.doesNotMatch(line, /unexpected error/)
  })
})
