import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {describe, it} from 'node:test'

import {DSSEBundleBuilder} from '@sigstore/sign'

import {simpleSigningPayload} from '../../src/formats/simple-signing.js'
import {BUNDLE_ANNOTATION, SIGNATURE_ANNOTATION} from '../../src/formats/annotations.js'
import {parseRekorBundle, rekorWitness, serializeRekorBundle, uploadEnvelope, witnessClassicSignature} from '../../src/keyless/index.js'
import {publicKeyHint, signerFromKey, sigstoreSigner} from '../../src/keys/index.js'
import {verifyBundle} from '../../src/verify/index.js'
import {getJson, rejectsWith, rootWithout, useSigstoreServices, verifyClassicSignature} from './support.js'

const services = useSigstoreServices()
const PAYLOAD = simpleSigningPayload('registry.test/app', `sha256:${'b'.repeat(64)}`, {team: 'payments'})

function keySigner() {
  return signerFromKey(generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey, 'a test key')
}

/** A key-based classic signature logged in the local Rekor (`tlog-upload = true`). */
async function signWithTlog(signer = keySigner(), loggedAs = signer.publicKeyPem) {
  const signature = await signer.sign(PAYLOAD)
  const extra = await witnessClassicSignature({payload: PAYLOAD, signature, publicKeyPem: loggedAs}, {rekor: {url: services().rekorURL}})
  const annotations: Record<string, string> = {[SIGNATURE_ANNOTATION]: signature.toString('base64'), ...extra}
  return {signer, signature, annotations}
}

describe('transparency-log upload for key-based signing', () => {
  it('logs a hashedrekord entry with our key, and the bundle annotation names it', async () => {
    const s = services()
    const {signer, annotations} = await signWithTlog()
    const bundle = parseRekorBundle(annotations[BUNDLE_ANNOTATION])
    assert.equal(serializeRekorBundle(bundle), annotations[BUNDLE_ANNOTATION])
    const {status, json} = await getJson(`${s.rekorURL}/api/v1/log/entries?logIndex=${bundle.Payload.logIndex}`)
    assert.equal(status, 200)
    const [entry] = Object.values(json as Record<string, {body: string; logID: string}>)
    assert.equal(entry.logID, bundle.Payload.logID)
    const body = JSON.parse(Buffer.from(entry.body, 'base64').toString()) as {kind: string; spec: {signature: {publicKey: {content: string}}}}
    assert.equal(body.kind, 'hashedrekord')
    assert.equal(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString(), signer.publicKeyPem)
  })

  it('verification checks the entry: valid passes, a tampered SET or body fails', async () => {
    const s = services()
    const {signer, annotations} = await signWithTlog()
    const options = {trustedRoot: s.root, publicKeyPem: signer.publicKeyPem}
    const verified = verifyClassicSignature({payload: PAYLOAD, annotations}, options)
    assert.equal(verified.tlogVerified, true)
    assert.equal(verified.identity, undefined)

    const bundle = parseRekorBundle(annotations[BUNDLE_ANNOTATION])
    const set = Buffer.from(bundle.SignedEntryTimestamp, 'base64')
    set[set.length - 1] ^= 0x01
    const badSet = serializeRekorBundle({...bundle, SignedEntryTimestamp: set.toString('base64')})
    await rejectsWith(
      () => verifyClassicSignature({payload: PAYLOAD, annotations: {...annotations, [BUNDLE_ANNOTATION]: badSet}}, options),
      'VERIFY_FAILED',
      'transparency-log entry does not verify',
    )
    const later = serializeRekorBundle({...bundle, Payload: {...bundle.Payload, integratedTime: bundle.Payload.integratedTime + 1}})
    await rejectsWith(() => verifyClassicSignature({payload: PAYLOAD, annotations: {...annotations, [BUNDLE_ANNOTATION]: later}}, options), 'VERIFY_FAILED')
    // A genuine entry for another signature of the same payload is not this signature's entry.
    const other = await signWithTlog(signer)
    const swapped = {...annotations, [BUNDLE_ANNOTATION]: other.annotations[BUNDLE_ANNOTATION]}
    await rejectsWith(() => verifyClassicSignature({payload: PAYLOAD, annotations: swapped}, options), 'VERIFY_FAILED', 'different signature')
    await rejectsWith(
      () => verifyClassicSignature({payload: PAYLOAD, annotations: {...annotations, [BUNDLE_ANNOTATION]: '{"Payload":{}}'}}, options),
      'VERIFY_FAILED',
      'dev.sigstore.cosign/bundle',
    )
  })

  it('an entry that records another key does not count, like cosign', async () => {
    const s = services()
    const stranger = keySigner()
    const {signer, annotations} = await signWithTlog(keySigner(), stranger.publicKeyPem)
    await rejectsWith(
      () => verifyClassicSignature({payload: PAYLOAD, annotations}, {trustedRoot: s.root, publicKeyPem: signer.publicKeyPem}),
      'VERIFY_FAILED',
      'different signer',
    )
  })

  it('fails with a trusted root that lacks the log, or without an entry unless the tlog is ignored', async () => {
    const s = services()
    const {signer, annotations} = await signWithTlog()
    await rejectsWith(
      () => verifyClassicSignature({payload: PAYLOAD, annotations}, {trustedRoot: rootWithout(s.trustedRoot, 'tlogs'), publicKeyPem: signer.publicKeyPem}),
      'VERIFY_FAILED',
    )
    const {[BUNDLE_ANNOTATION]: _dropped, ...unlogged} = annotations
    const layer = {payload: PAYLOAD, annotations: unlogged}
    await rejectsWith(() => verifyClassicSignature(layer, {trustedRoot: s.root, publicKeyPem: signer.publicKeyPem}), 'VERIFY_FAILED', '--insecure-ignore-tlog')
    const ignored = verifyClassicSignature(layer, {trustedRoot: s.root, publicKeyPem: signer.publicKeyPem, insecureIgnoreTlog: true})
    assert.equal(ignored.tlogVerified, false)
    await rejectsWith(() => verifyClassicSignature(layer, {trustedRoot: s.root, publicKeyPem: keySigner().publicKeyPem, insecureIgnoreTlog: true}), 'VERIFY_FAILED', 'signature does not verify')
    await rejectsWith(() => verifyClassicSignature({payload: PAYLOAD, annotations}, {trustedRoot: s.root}), 'USAGE', '--key')
  })

  it('a DSSE bundle built with our key and the Rekor witness carries a verified dsse entry', async () => {
    const s = services()
    const signer = keySigner()
    const builder = new DSSEBundleBuilder({signer: sigstoreSigner(signer), witnesses: [rekorWitness(s.rekorURL)]})
    const bundle = await builder.create({data: Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'), type: 'application/vnd.in-toto+json'})
    assert.equal(bundle.verificationMaterial.content.$case, 'publicKey')
    assert.equal(bundle.verificationMaterial.content.publicKey.hint, publicKeyHint(signer.publicKeyPem))
    const [entry] = bundle.verificationMaterial.tlogEntries
    assert.equal(entry.kindVersion.kind, 'dsse')
    assert.equal(verifyBundle(bundle, undefined, {trustedRoot: s.root, publicKeyPem: signer.publicKeyPem}).tlogVerified, true)
    await rejectsWith(() => verifyBundle(bundle, undefined, {trustedRoot: s.root, publicKeyPem: keySigner().publicKeyPem}), 'VERIFY_FAILED')

    // The same envelope logged again through uploadEnvelope lands in Rekor as a second dsse entry.
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('expected a DSSE bundle')
    const again = await uploadEnvelope(bundle.content.dsseEnvelope, signer.publicKeyPem, {url: s.rekorURL})
    const {status} = await getJson(`${s.rekorURL}/api/v1/log/entries?logIndex=${again.logIndex}`)
    assert.equal(status, 200)
    assert.equal(again.kindVersion.kind, 'dsse')
  })
})
