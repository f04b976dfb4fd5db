import assert from 'node:assert/strict'
import {createHash, X509Certificate} from 'node:crypto'
import {createServer} from 'node:http'
import {type AddressInfo} from 'node:net'
import {describe, it} from 'node:test'

import {DSSEBundleBuilder, MessageSignatureBundleBuilder} from '@sigstore/sign'

import {simpleSigningPayload} from '../../src/formats/simple-signing.js'
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  RFC3161_TIMESTAMP_ANNOTATION,
  SIGNATURE_ANNOTATION,
} from '../../src/formats/annotations.js'
import {identityToken, keylessSigner, parseRekorBundle, rekorWitness, tsaWitness, witnessClassicSignature} from '../../src/keyless/index.js'
import {verifyBundle} from '../../src/verify/index.js'
import {getJson, rejectsWith, rootWithout, useSigstoreServices, verifyClassicSignature} from './support.js'
import {TEST_ISSUER, TEST_SUBJECT} from '../helpers/sigstore-services.js'

const services = useSigstoreServices()
const PAYLOAD = simpleSigningPayload('registry.test/app', `sha256:${'a'.repeat(64)}`, {})
const der = (pem: string) => new X509Certificate(pem).raw.toString('base64')
const RIGHT = {certificateIdentity: TEST_SUBJECT, certificateOidcIssuer: TEST_ISSUER}

function signer(claims: Record<string, unknown> = {}) {
  const s = services()
  return keylessSigner({identity: identityToken({identityToken: s.identityToken(claims), env: {}}), fulcioURL: s.fulcioURL})
}

/** Signs PAYLOAD keyless in the classic format: the layer annotations cosign would write. */
async function signClassic(options: {tsa?: boolean; rekor?: boolean} = {}) {
  const s = services()
  const keyless = signer()
  const certificate = await keyless.certificate()
  const signature = await keyless.signer.sign(PAYLOAD)
  const extra = await witnessClassicSignature(
    {payload: PAYLOAD, signature, certificate},
    {rekor: options.rekor === false ? undefined : {url: s.rekorURL}, tsa: options.tsa ? {url: s.tsaURL} : undefined},
  )
  const annotations: Record<string, string> = {[SIGNATURE_ANNOTATION]: signature.toString('base64'), ...extra}
  return {certificate, signature, annotations}
}

describe('keyless signing against local Fulcio, Rekor and TSA', () => {
  it("Fulcio issues the certificate for the token's identity, once per signer", async () => {
    const s = services()
    const before = s.requests.fulcio
    const keyless = signer()
    const [first, second] = await Promise.all([keyless.certificate(), keyless.certificate()])
    await keyless.sigstoreSigner.sign(Buffer.from('more'))
    assert.equal(s.requests.fulcio - before, 1)
    assert.equal(first, second)
    assert.deepEqual(first.identity, {subjectAlternativeNames: [TEST_SUBJECT], issuer: TEST_ISSUER})
    const leaf = new X509Certificate(first.certificatePem)
    assert.equal(leaf.subjectAltName, `URI:${TEST_SUBJECT}`)
    assert.ok(leaf.publicKey.equals(new X509Certificate(first.certificatePem).publicKey))
    assert.equal(leaf.publicKey.export({type: 'spki', format: 'pem'}), keyless.signer.publicKeyPem)
    assert.deepEqual(first.chainPem.map(der), [der(s.fulcioRootPem)])
    assert.ok(leaf.verify(new X509Certificate(s.fulcioRootPem).publicKey))
  })

  it('writes the certificate, chain and Rekor bundle annotations, and the entry is in Rekor', async () => {
    const s = services()
    const {certificate, signature, annotations} = await signClassic()
    assert.equal(annotations[CERTIFICATE_ANNOTATION], certificate.certificatePem)
    assert.equal(der(annotations[CHAIN_ANNOTATION]), der(s.fulcioRootPem))
    const text = annotations[BUNDLE_ANNOTATION]
    // Exactly cosign's json.Marshal of RekorBundle: field order and types.
    assert.match(text, /^\{"SignedEntryTimestamp":"[A-Za-z0-9+/=]+","Payload":\{"body":"[A-Za-z0-9+/=]+","integratedTime":\d+,"logIndex":\d+,"logID":"[0-9a-f]{64}"\}\}$/)
    const bundle = parseRekorBundle(text)
    const {status, json} = await getJson(`${s.rekorURL}/api/v1/log/entries?logIndex=${bundle.Payload.logIndex}`)
    assert.equal(status, 200)
    const [entry] = Object.values(json as Record<string, {body: string; verification: {signedEntryTimestamp: string}}>)
    assert.equal(entry.body, bundle.Payload.body)
    assert.equal(entry.verification.signedEntryTimestamp, bundle.SignedEntryTimestamp)
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString()) as {kind: string; spec: {data: {hash: {value: string}}; signature: {content: string; publicKey: {content: string}}}}
    assert.equal(body.kind, 'hashedrekord')
    assert.equal(body.spec.data.hash.value, createHash('sha256').update(PAYLOAD).digest('hex'))
    assert.equal(body.spec.signature.content, signature.toString('base64'))
    assert.equal(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString(), certificate.certificatePem)
  })

  it('verifies with the right identity and issuer, exact or by regular expression', async () => {
    const s = services()
    const {annotations} = await signClassic()
    const layer = {payload: PAYLOAD, annotations}
    const verified = verifyClassicSignature(layer, {trustedRoot: s.root, policy: RIGHT})
    assert.deepEqual(verified.identity, {subjectAlternativeNames: [TEST_SUBJECT], issuer: TEST_ISSUER})
    assert.equal(verified.tlogVerified, true)
    assert.ok(verified.integratedTime && Math.abs(verified.integratedTime.getTime() - Date.now()) < 60_000)
    const byRegexp = {certificateIdentityRegexp: '^https://github\\.com/pack-ts/', certificateOidcIssuerRegexp: '(?i)OIDC\\.PACK-TS\\.test$'}
    assert.equal(verifyClassicSignature(layer, {trustedRoot: s.root, policy: byRegexp}).tlogVerified, true)
  })

  it('fails for a wrong identity, a wrong issuer, or a regular expression that does not match', async () => {
    const s = services()
    const layer = {payload: PAYLOAD, annotations: (await signClassic()).annotations}
    const verify = (policy: object) => () => verifyClassicSignature(layer, {trustedRoot: s.root, policy})
    await rejectsWith(verify({...RIGHT, certificateIdentity: 'someone@else.test'}), 'VERIFY_FAILED', TEST_SUBJECT, 'someone@else.test')
    await rejectsWith(verify({...RIGHT, certificateOidcIssuer: 'https://accounts.google.com'}), 'VERIFY_FAILED', TEST_ISSUER)
    await rejectsWith(verify({certificateIdentityRegexp: '^https://gitlab\\.com/', certificateOidcIssuer: TEST_ISSUER}), 'VERIFY_FAILED')
  })

  it('needs an identity and an issuer constraint, and valid regular expressions', async () => {
    const s = services()
    const layer = {payload: PAYLOAD, annotations: (await signClassic()).annotations}
    const verify = (policy: object) => () => verifyClassicSignature(layer, {trustedRoot: s.root, policy})
    await rejectsWith(verify({certificateOidcIssuer: TEST_ISSUER}), 'USAGE', '--certificate-identity')
    await rejectsWith(verify({certificateIdentity: TEST_SUBJECT}), 'USAGE', '--certificate-oidc-issuer')
    await rejectsWith(verify({...RIGHT, certificateIdentityRegexp: 'x'}), 'USAGE', 'not both')
    await rejectsWith(verify({certificateIdentityRegexp: '(', certificateOidcIssuer: TEST_ISSUER}), 'USAGE', 'not a valid regular expression')
  })

  it('fails for another payload, a CA or Rekor key the trusted root lacks, or a missing SCT log', async () => {
    const s = services()
    const {annotations} = await signClassic()
    const other = Buffer.from(PAYLOAD.toString().replace('"optional":null', '"optional":{"x":"y"}'))
    await rejectsWith(() => verifyClassicSignature({payload: other, annotations}, {trustedRoot: s.root, policy: RIGHT}), 'VERIFY_FAILED')
    const layer = {payload: PAYLOAD, annotations}
    await rejectsWith(
      () => verifyClassicSignature(layer, {trustedRoot: rootWithout(s.trustedRoot, 'certificateAuthorities'), policy: RIGHT}),
      'VERIFY_FAILED',
      'does not chain',
    )
    await rejectsWith(
      () => verifyClassicSignature(layer, {trustedRoot: rootWithout(s.trustedRoot, 'tlogs'), policy: RIGHT}),
      'VERIFY_FAILED',
      'transparency-log entry does not verify',
    )
    const noCt = rootWithout(s.trustedRoot, 'ctlogs')
    await rejectsWith(() => verifyClassicSignature(layer, {trustedRoot: noCt, policy: RIGHT}), 'VERIFY_FAILED', '--insecure-ignore-sct')
    assert.equal(verifyClassicSignature(layer, {trustedRoot: noCt, policy: RIGHT, insecureIgnoreSct: true}).tlogVerified, true)
  })

  it('without a Rekor entry fails unless the tlog is ignored; with a TSA timestamp that counts', async () => {
    const s = services()
    const {annotations} = await signClassic({rekor: false})
    assert.equal(annotations[BUNDLE_ANNOTATION], undefined)
    const layer = {payload: PAYLOAD, annotations}
    await rejectsWith(() => verifyClassicSignature(layer, {trustedRoot: s.root, policy: RIGHT}), 'VERIFY_FAILED', '--insecure-ignore-tlog')
    const ignored = verifyClassicSignature(layer, {trustedRoot: s.root, policy: RIGHT, insecureIgnoreTlog: true})
    assert.equal(ignored.tlogVerified, false)

    const stamped = await signClassic({rekor: false, tsa: true})
    assert.match(stamped.annotations[RFC3161_TIMESTAMP_ANNOTATION], /^\{"SignedRFC3161Timestamp":"[A-Za-z0-9+/=]+"\}$/)
    const stampedLayer = {payload: PAYLOAD, annotations: stamped.annotations}
    assert.equal(verifyClassicSignature(stampedLayer, {trustedRoot: s.root, policy: RIGHT, insecureIgnoreTlog: true}).tlogVerified, false)
    // The timestamp is checked when the trusted root has a TSA: one over another signature fails.
    const other = await signClassic({rekor: false, tsa: true})
    const forgedLayer = {payload: PAYLOAD, annotations: {...stamped.annotations, [RFC3161_TIMESTAMP_ANNOTATION]: other.annotations[RFC3161_TIMESTAMP_ANNOTATION]}}
    await rejectsWith(() => verifyClassicSignature(forgedLayer, {trustedRoot: s.root, policy: RIGHT, insecureIgnoreTlog: true}), 'VERIFY_FAILED', 'timestamp')
    // Without a TSA in the trusted root it is not consulted (as in cosign); the clock decides.
    const noTsa = rootWithout(s.trustedRoot, 'timestampAuthorities')
    assert.equal(verifyClassicSignature(forgedLayer, {trustedRoot: noTsa, policy: RIGHT, insecureIgnoreTlog: true}).tlogVerified, false)
  })

  it('signs DSSE and message-signature bundles with the builders, witnessed by Rekor and the TSA', async () => {
    const s = services()
    const keyless = signer()
    const witnesses = [rekorWitness(s.rekorURL), tsaWitness(s.tsaURL)]
    const statement = Buffer.from(JSON.stringify({_type: 'https://in-toto.io/Statement/v1', subject: [], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {}}))
    const dsse = await new DSSEBundleBuilder({signer: keyless.sigstoreSigner, witnesses}).create({data: statement, type: 'application/vnd.in-toto+json'})
    assert.equal(dsse.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse')
    assert.equal(dsse.verificationMaterial.timestampVerificationData?.rfc3161Timestamps.length, 1)
    const verified = verifyBundle(dsse, undefined, {trustedRoot: s.root, policy: RIGHT})
    assert.equal(verified.identity?.issuer, TEST_ISSUER)
    assert.equal(verified.tlogVerified, true)
    await rejectsWith(() => verifyBundle(dsse, undefined, {trustedRoot: s.root, policy: {...RIGHT, certificateIdentity: 'x'}}), 'VERIFY_FAILED')

    const message = await new MessageSignatureBundleBuilder({signer: keyless.sigstoreSigner, witnesses}).create({data: PAYLOAD})
    assert.equal(verifyBundle(message, PAYLOAD, {trustedRoot: s.root, policy: RIGHT}).tlogVerified, true)
    await rejectsWith(() => verifyBundle(message, Buffer.from('other'), {trustedRoot: s.root, policy: RIGHT}), 'VERIFY_FAILED', 'digest')
  })
})

describe('keyless signing when a service fails', () => {
  it('an unreachable Fulcio is SIGSTORE_SERVICE, naming it', async () => {
    const s = services()
    const keyless = keylessSigner({identity: identityToken({identityToken: s.identityToken(), env: {}}), fulcioURL: 'http://127.0.0.1:1'})
    await rejectsWith(keyless.certificate(), 'SIGSTORE_SERVICE', 'Fulcio at http://127.0.0.1:1')
  })

  it('a Fulcio that refuses the token is SIGSTORE_SERVICE, and the message never holds the token', async (t) => {
    const s = services()
    const server = createServer((_req, res) => res.writeHead(401, {'content-type': 'application/json'}).end('{"code":16,"message":"invalid identity token"}'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const token = s.identityToken()
    const fulcioURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const keyless = keylessSigner({identity: identityToken({identityToken: token, env: {}}), fulcioURL})
    const error = await rejectsWith(keyless.certificate(), 'SIGSTORE_SERVICE', 'HTTP 401', 'invalid identity token')
    assert.ok(!error.message.includes(token) && !String(error.stack).includes(token))
    // A failed request is not cached: the next call asks again.
    await rejectsWith(keyless.certificate(), 'SIGSTORE_SERVICE')
  })

  it('an unreachable Rekor is SIGSTORE_SERVICE, naming it', async () => {
    const keyless = signer()
    const certificate = await keyless.certificate()
    const signature = await keyless.signer.sign(PAYLOAD)
    await rejectsWith(
      witnessClassicSignature({payload: PAYLOAD, signature, certificate}, {rekor: {url: 'http://127.0.0.1:1', retries: 0}}),
      'SIGSTORE_SERVICE',
      'Rekor at http://127.0.0.1:1',
    )
  })
})
