import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, RFC3161_TIMESTAMP_ANNOTATION} from '../../src/formats/annotations.js'
import {cosignKeylessEnv} from '../helpers/cosign-keyless.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {type SigstoreServices, startSigstoreServices, TEST_ISSUER, TEST_SUBJECT} from '../helpers/sigstore-services.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'

/**
 * `sign --keyless` and `--tlog-upload` through the commands, against a real registry and the local
 * Fulcio, Rekor and TSA over HTTP; checked by our `verify` and by cosign 2.5.
 */
const work = mkdtempSync(join(tmpdir(), 'keyless-commands-'))

describe('keyless signing and the transparency log through the commands', () => {
  let registry: TestRegistry
  let services: SigstoreServices
  let key: TestKey
  let trustedRoot: string
  let cosignEnv: Record<string, string>
  const client = testClient()

  before(async () => {
    ;[registry, services] = await Promise.all([startRegistry(), startSigstoreServices()])
    key = await generateTestKey(work, 'tlog')
    trustedRoot = join(work, 'trusted_root.json')
    await services.writeTrustedRoot(trustedRoot)
    cosignEnv = await cosignKeylessEnv(services, work)
  })
  after(async () => {
    await registry?.stop()
    await services?.stop()
  })

  const fresh = (name: string): Promise<PushedImage> => pushImage(client, `${registry.host}/${name}:v1`)
  const keyless = (image: PushedImage, ...extra: string[]) =>
    runCli(['sign', image.reference, '--keyless', '--identity-token', services.identityToken(), '--fulcio-url', services.fulcioURL, '--rekor-url', services.rekorURL, ...extra])
  const identity = ['--certificate-identity', TEST_SUBJECT, '--certificate-oidc-issuer', TEST_ISSUER]
  const verify = (image: PushedImage, ...extra: string[]) => runCli(['verify', image.reference, ...extra])
  const cosignVerify = (image: PushedImage, ...extra: string[]) =>
    runCosign(['verify', '--allow-http-registry', ...extra, `${registry.host}/${image.repository.path}@${image.digest}`], {env: cosignEnv})
  const sigLayers = async (image: PushedImage) => (await fetchManifest(registry, image.repository.path, `sha256-${image.digest.slice(7)}.sig`)).json.layers

  it('sign --keyless (classic): cosign\'s certificate, chain and Rekor bundle annotations; our verify and cosign 2.5 accept the identity', async () => {
    const image = await fresh('keyless-classic')
    const token = services.identityToken()
    const fulcioBefore = services.requests.fulcio
    const signed = await runCli(['sign', image.reference, '--keyless', '--identity-token', token, '--fulcio-url', services.fulcioURL, '--rekor-url', services.rekorURL, '-a', 'team=x'])
    assert.equal(signed.code, 0, signed.stderr)
    assert.equal(services.requests.fulcio - fulcioBefore, 1)
    assert.match(signed.stderr, new RegExp(`Signing keyless as ${TEST_SUBJECT.replaceAll('.', '\\.')} \\(issuer ${TEST_ISSUER.replaceAll('.', '\\.')}\\)`))
    assert.ok(!signed.stdout.includes(token) && !signed.stderr.includes(token), 'the token is never printed')
    const [layer] = await sigLayers(image)
    assert.deepEqual(Object.keys(layer.annotations), [
      'dev.cosignproject.cosign/signature',
      BUNDLE_ANNOTATION,
      CERTIFICATE_ANNOTATION,
      CHAIN_ANNOTATION,
    ])

    const ours = await verify(image, ...identity, '--trusted-root', trustedRoot, '-a', 'team=x', '--json')
    assert.equal(ours.code, 0, ours.stderr)
    const [item] = JSON.parse(ours.stdout)
    assert.equal(item.format, 'classic')
    assert.deepEqual(item.identity, {subjectAlternativeNames: [TEST_SUBJECT], issuer: TEST_ISSUER})
    const plain = await verify(image, ...identity, '--trusted-root', trustedRoot)
    assert.match(plain.stderr, /Verified 1 signature\(s\) .* for identity ".*" from issuer ".*" \(1 classic, 0 bundle\)/)
    const byRegexp = await verify(image, '--certificate-identity-regexp', '^https://github\\.com/pack-ts/', '--certificate-oidc-issuer-regexp', '(?i)PACK-TS\\.test$', '--trusted-root', trustedRoot)
    assert.equal(byRegexp.code, 0, byRegexp.stderr)

    const wrong = await verify(image, '--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER, '--trusted-root', trustedRoot)
    assert.equal(wrong.code, 10)
    assert.match(assertOneLineError(wrong), /none of 1 signature\(s\) verified for identity "someone@else\.test" .*: the certificate was issued to/)
    const wrongIssuer = await verify(image, '--certificate-identity', TEST_SUBJECT, '--certificate-oidc-issuer-regexp', '^https://accounts\\.google\\.com$', '--trusted-root', trustedRoot)
    assert.equal(wrongIssuer.code, 10)

    const cosign = await cosignVerify(image, ...identity, '-a', 'team=x')
    assert.equal(cosign.code, 0, cosign.stderr)
    assert.match(cosign.stderr, /Existence of the claims in the transparency log was verified offline/)
    const cosignRegexp = await cosignVerify(image, '--certificate-identity-regexp', '^https://github\\.com/pack-ts/', '--certificate-oidc-issuer', TEST_ISSUER)
    assert.equal(cosignRegexp.code, 0, cosignRegexp.stderr)
    const cosignWrong = await cosignVerify(image, '--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER)
    assert.notEqual(cosignWrong.code, 0)
  })

  it('sign --keyless --format bundle: the bundle carries the certificate and a Rekor entry; our verify checks identity and log', async () => {
    const image = await fresh('keyless-bundle')
    const signed = await keyless(image, '--format', 'bundle', '--json')
    assert.equal(signed.code, 0, signed.stderr)
    assert.deepEqual(JSON.parse(signed.stdout).map((r: any) => r.format), ['bundle'])
    const ours = await verify(image, ...identity, '--trusted-root', trustedRoot)
    assert.equal(ours.code, 0, ours.stderr)
    assert.match(ours.stderr, /\(0 classic, 1 bundle\)/)
    const byRegexp = await verify(image, '--certificate-identity-regexp', 'pack-ts/demo', '--certificate-oidc-issuer', TEST_ISSUER, '--trusted-root', trustedRoot)
    assert.equal(byRegexp.code, 0, byRegexp.stderr)
    const wrong = await verify(image, '--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER, '--trusted-root', trustedRoot)
    assert.equal(wrong.code, 10)
    assert.match(wrong.stderr, /the certificate was issued to/)
    // A trusted root without the log's key: the entry does not verify, unless the log is ignored.
    const noTlogs = join(work, 'no-tlogs.json')
    writeFileSync(noTlogs, JSON.stringify({...services.trustedRoot, tlogs: []}))
    const unlogged = await verify(image, ...identity, '--trusted-root', noTlogs)
    assert.equal(unlogged.code, 10)
    assert.match(unlogged.stderr, /transparency-log entry does not verify/)
    assert.equal((await verify(image, ...identity, '--trusted-root', noTlogs, '--insecure-ignore-tlog')).code, 0)
  })

  it('sign --keyless --format both --tsa-url: both formats timestamped; our verify reads both', async () => {
    const image = await fresh('keyless-tsa')
    const signed = await keyless(image, '--format', 'both', '--tsa-url', services.tsaURL)
    assert.equal(signed.code, 0, signed.stderr)
    const [layer] = await sigLayers(image)
    assert.match(layer.annotations[RFC3161_TIMESTAMP_ANNOTATION], /^\{"SignedRFC3161Timestamp":"/)
    const ours = await verify(image, ...identity, '--trusted-root', trustedRoot)
    assert.equal(ours.code, 0, ours.stderr)
    assert.match(ours.stderr, /Verified 2 signature\(s\) .*\(1 classic, 1 bundle\)/)
  })

  it('--identity-token may name a file; without any token nothing is written', async () => {
    const image = await fresh('keyless-file')
    const tokenFile = join(work, 'token')
    writeFileSync(tokenFile, `${services.identityToken()}\n`)
    const signed = await runCli(['sign', image.reference, '--keyless', '--identity-token', tokenFile, '--fulcio-url', services.fulcioURL, '--rekor-url', services.rekorURL])
    assert.equal(signed.code, 0, signed.stderr)

    const other = await fresh('keyless-none')
    const before = await registrySnapshot(registry)
    const missing = await runCli(['sign', other.reference, '--keyless', '--fulcio-url', services.fulcioURL, '--rekor-url', services.rekorURL])
    assert.equal(missing.code, 2)
    assert.match(assertOneLineError(missing), /keyless signing needs an OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN/)
    assert.deepEqual(await registrySnapshot(registry), before)
  })

  it('usage: --key with --keyless, keyless verify without a trusted root, verify with neither key nor identity', async () => {
    const image = await fresh('keyless-usage')
    const both = await runCli(['sign', image.reference, '--keyless', '--key', key.key])
    assert.equal(both.code, 2)
    assert.match(assertOneLineError(both), /--key=.* cannot also be provided when using --keyless|--keyless=.* cannot also be provided when using --key/)
    const fulcioWithKey = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--fulcio-url', services.fulcioURL])
    assert.equal(fulcioWithKey.code, 2)
    assert.match(fulcioWithKey.stderr, /--fulcio-url is used with --keyless/)
    const noRoot = await verify(image, ...identity)
    assert.equal(noRoot.code, 2)
    assert.match(assertOneLineError(noRoot), /verifying keyless signatures needs --trusted-root FILE/)
    const nothing = await verify(image)
    assert.equal(nothing.code, 2)
    assert.match(nothing.stderr, /verify needs --key FILE, or --certificate-identity\[-regexp\] and --certificate-oidc-issuer\[-regexp\] with --trusted-root FILE/)
    const noIssuer = await verify(image, '--certificate-identity', TEST_SUBJECT, '--trusted-root', trustedRoot)
    assert.equal(noIssuer.code, 2)
    assert.match(noIssuer.stderr, /needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp/)
  })

  it('sign --key --tlog-upload: the entry is in Rekor; verify checks it (against --trusted-root), and cosign 2.5 accepts it', async () => {
    const image = await fresh('tlog-classic')
    const signed = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--tlog-upload', '--rekor-url', services.rekorURL])
    assert.equal(signed.code, 0, signed.stderr)
    const [layer] = await sigLayers(image)
    assert.equal(layer.annotations[CERTIFICATE_ANNOTATION], undefined)
    const bundle = JSON.parse(layer.annotations[BUNDLE_ANNOTATION])
    const entry = await fetch(`${services.rekorURL}/api/v1/log/entries?logIndex=${bundle.Payload.logIndex}`)
    assert.equal(entry.status, 200)
    const [logged] = Object.values((await entry.json()) as Record<string, {body: string}>)
    assert.equal(logged.body, bundle.Payload.body)
    const body = JSON.parse(Buffer.from(logged.body, 'base64').toString())
    assert.equal(body.kind, 'hashedrekord')
    const {readFileSync} = await import('node:fs')
    assert.equal(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString(), readFileSync(key.pub, 'utf8'))

    // A present entry is checked: without a trusted root it cannot be, and says so.
    const unchecked = await verify(image, '--key', key.pub)
    assert.equal(unchecked.code, 10)
    assert.match(assertOneLineError(unchecked), /has a transparency-log entry; pass --trusted-root FILE .* or --insecure-ignore-tlog/)
    assert.equal((await verify(image, '--key', key.pub, '--insecure-ignore-tlog')).code, 0)
    const checked = await verify(image, '--key', key.pub, '--trusted-root', trustedRoot)
    assert.equal(checked.code, 0, checked.stderr)
    const cosign = await cosignVerify(image, '--key', key.pub)
    assert.equal(cosign.code, 0, cosign.stderr)
    assert.match(cosign.stderr, /Existence of the claims in the transparency log was verified offline/)

    // Re-signing with tlog-upload finds the logged signature and adds nothing.
    const again = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--tlog-upload', '--rekor-url', services.rekorURL])
    assert.match(again.stdout, /^Already signed/m)
  })

  it('a tampered Rekor bundle annotation, rewritten in the registry, fails our verify and cosign', async () => {
    const image = await fresh('tlog-tampered')
    assert.equal((await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--tlog-upload', '--rekor-url', services.rekorURL])).code, 0)
    const tag = `sha256-${image.digest.slice(7)}.sig`
    const {mediaType, json} = await fetchManifest(registry, image.repository.path, tag)
    const bundle = JSON.parse(json.layers[0].annotations[BUNDLE_ANNOTATION])
    const set = Buffer.from(bundle.SignedEntryTimestamp, 'base64')
    set[set.length - 1] ^= 0x01
    json.layers[0].annotations[BUNDLE_ANNOTATION] = JSON.stringify({...bundle, SignedEntryTimestamp: set.toString('base64')})
    const put = await fetch(`http://${registry.host}/v2/${image.repository.path}/manifests/${tag}`, {method: 'PUT', headers: {'content-type': mediaType}, body: JSON.stringify(json)})
    assert.equal(put.status, 201)

    const ours = await verify(image, '--key', key.pub, '--trusted-root', trustedRoot)
    assert.equal(ours.code, 10)
    assert.match(assertOneLineError(ours), /transparency-log entry does not verify/)
    assert.equal((await verify(image, '--key', key.pub, '--insecure-ignore-tlog')).code, 0, 'the signature itself is intact')
    const cosign = await cosignVerify(image, '--key', key.pub)
    assert.notEqual(cosign.code, 0)
  })

  it('sign --key --tlog-upload --format bundle: the bundle carries its tlog entry, checked by verify', async () => {
    const image = await fresh('tlog-bundle')
    const rekorBefore = services.requests.rekor
    const signed = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--tlog-upload', '--rekor-url', services.rekorURL, '--format', 'bundle'])
    assert.equal(signed.code, 0, signed.stderr)
    assert.equal(services.requests.rekor - rekorBefore, 1)
    const unchecked = await verify(image, '--key', key.pub)
    assert.equal(unchecked.code, 10)
    assert.match(unchecked.stderr, /pass --trusted-root FILE/)
    const checked = await verify(image, '--key', key.pub, '--trusted-root', trustedRoot)
    assert.equal(checked.code, 0, checked.stderr)
    assert.match(checked.stderr, /\(0 classic, 1 bundle\)/)
    const noTlogs = join(work, 'no-tlogs-key.json')
    writeFileSync(noTlogs, JSON.stringify({...services.trustedRoot, tlogs: []}))
    assert.equal((await verify(image, '--key', key.pub, '--trusted-root', noTlogs)).code, 10)
  })
})
