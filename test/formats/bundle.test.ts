/** Bundle output (cosign 3's format) written by us, checked by the real cosign 2.5 and by reading it back. */
import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {BUNDLE_MEDIA_TYPE, BundleWriter, COSIGN_SIGN_PREDICATE_TYPE} from '../../src/formats/bundle/index.js'
import {writeBundleAttestation, writeBundleSignature} from '../helpers/write-one.js'
import {verifyBundles} from '../../src/verify/index.js'
import {
  loadSigner,
  loadVerifier,
  publicKeyHint,
  type Signer,
  signerFromKey,
  staticPassword,
  type Verifier,
  verifierFromKey,
} from '../../src/keys/index.js'
import {parseRepositoryName} from '../../src/reference/reference.js'
import {referrersTag} from '../../src/registry/referrers.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {runCosign} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

const CYCLONEDX = 'https://cyclonedx.org/bom'
const SPDX = 'https://spdx.dev/Document'
const work = mkdtempSync(join(tmpdir(), 'bundle-'))
// A trusted root naming no authorities: with --key and --insecure-ignore-tlog, cosign needs nothing else.
const trustedRoot = join(work, 'trusted-root.json')
writeFileSync(
  trustedRoot,
  JSON.stringify({mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []}),
)

function sbom(name: string): Buffer {
  return Buffer.from(JSON.stringify({bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, metadata: {component: {type: 'application', name}}}, null, 2))
}

function cosignVerifyAttestation(image: string, pub: string, type: string) {
  return runCosign([
    'verify-attestation', '--new-bundle-format', '--trusted-root', trustedRoot, '--key', pub,
    '--insecure-ignore-tlog', '--allow-http-registry', '--type', type, image,
  ])
}

/** The statements cosign printed, one DSSE envelope per line. */
function printedStatements(stdout: string): any[] {
  return stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(Buffer.from(JSON.parse(l).payload, 'base64').toString('utf8')))
}

describe('bundle format, written by us', () => {
  let registry: TestRegistry
  let key: TestKey
  let other: TestKey
  let signer: Signer
  let verifier: Verifier
  let wrongVerifier: Verifier
  const client = testClient()

  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'ours')
    other = await generateTestKey(work, 'other')
    signer = await loadSigner(key.key, staticPassword(key.password))
    verifier = await loadVerifier(key.pub)
    wrongVerifier = await loadVerifier(other.pub)
  })
  after(() => registry.stop())

  const fresh = (name: string): Promise<PushedImage> => pushImage(client, `${registry.host}/${name}:v1`)
  const target = (image: PushedImage) => ({imageRepository: image.repository, digest: image.digest, signatureRepository: image.repository, signer})

  it('cosign 2.5 verifies our SBOM attestation bundle offline; another key fails', async () => {
    const image = await fresh('attested')
    const written = await writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: CYCLONEDX, predicate: sbom('attested')})
    assert.equal(written.appended, true)
    assert.equal(written.via, 'fallback-tag')
    const ref = `${registry.host}/attested@${image.digest}`
    const verified = await cosignVerifyAttestation(ref, key.pub, 'cyclonedx')
    assert.equal(verified.code, 0, verified.stderr)
    const [statement] = printedStatements(verified.stdout)
    assert.equal(statement._type, 'https://in-toto.io/Statement/v0.1')
    assert.equal(statement.predicateType, CYCLONEDX)
    assert.deepEqual(statement.subject, [{name: `${registry.host}/attested`, digest: {sha256: image.digest.slice(7)}}])
    assert.equal(statement.predicate.metadata.component.name, 'attested')
    const wrongKey = await cosignVerifyAttestation(ref, other.pub, 'cyclonedx')
    assert.notEqual(wrongKey.code, 0)
    const wrongType = await cosignVerifyAttestation(ref, key.pub, 'spdxjson')
    assert.notEqual(wrongType.code, 0)
  })

  it('writes the referrer manifest, bundle and fallback entry the way cosign does', async () => {
    const image = await fresh('layout')
    const written = await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {team: 'payments'}})
    const manifest = (await fetchManifest(registry, 'layout', written.referrerDigest)).json
    assert.deepEqual(Object.keys(manifest), ['schemaVersion', 'mediaType', 'config', 'layers', 'annotations', 'subject', 'artifactType'])
    assert.deepEqual(manifest.config, {
      mediaType: 'application/vnd.oci.empty.v1+json',
      size: 2,
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      artifactType: BUNDLE_MEDIA_TYPE,
    })
    assert.equal(manifest.artifactType, BUNDLE_MEDIA_TYPE)
    assert.equal(manifest.layers.length, 1)
    assert.equal(manifest.layers[0].mediaType, BUNDLE_MEDIA_TYPE)
    assert.deepEqual(manifest.subject, {mediaType: image.descriptor.mediaType, size: image.descriptor.size, digest: image.digest})
    assert.deepEqual(Object.keys(manifest.annotations), ['dev.sigstore.bundle.content', 'dev.sigstore.bundle.predicateType', 'org.opencontainers.image.created'])
    assert.equal(manifest.annotations['dev.sigstore.bundle.content'], 'dsse-envelope')
    assert.equal(manifest.annotations['dev.sigstore.bundle.predicateType'], COSIGN_SIGN_PREDICATE_TYPE)
    assert.match(manifest.annotations['org.opencontainers.image.created'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)

    const bundle = JSON.parse((await client.getBlob(image.repository, manifest.layers[0].digest, 1 << 20)).toString('utf8'))
    assert.equal(bundle.mediaType, BUNDLE_MEDIA_TYPE)
    assert.deepEqual(bundle.verificationMaterial.publicKey, {hint: publicKeyHint(signer.publicKeyPem)})
    assert.equal(bundle.verificationMaterial.tlogEntries, undefined, 'empty lists are left out, as protojson does')
    assert.equal(bundle.dsseEnvelope.payloadType, 'application/vnd.in-toto+json')
    assert.equal(bundle.dsseEnvelope.signatures.length, 1)
    assert.deepEqual(Object.keys(bundle.dsseEnvelope.signatures[0]), ['sig'], 'no keyid, as cosign writes it')
    const statement = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')
    assert.equal(
      statement,
      `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${image.digest.slice(7)}"},"annotations":{"team":"payments"}}],"predicateType":"${COSIGN_SIGN_PREDICATE_TYPE}","predicate":{}}`,
    )

    const index = await fetchManifest(registry, 'layout', referrersTag(image.digest))
    assert.deepEqual(index.json.manifests, [
      {mediaType: 'application/vnd.oci.image.manifest.v1+json', size: index.json.manifests[0].size, digest: written.referrerDigest, annotations: manifest.annotations, artifactType: BUNDLE_MEDIA_TYPE},
    ])
  })

  it('cosign 2.5 `verify` does not read signature bundles (no signatures found), and verifies ours as an attestation of the sign predicate', async () => {
    const image = await fresh('signed')
    await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {team: 'payments'}})
    const ref = `${registry.host}/signed@${image.digest}`
    const verify = await runCosign(['verify', '--new-bundle-format', '--trusted-root', trustedRoot, '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', ref])
    assert.notEqual(verify.code, 0)
    // 2.5 accepts --new-bundle-format on verify but only reads the .sig tag; cosign 3 reads referrers.
    assert.match(verify.stderr, /no signatures found/)
    const asAttestation = await cosignVerifyAttestation(ref, key.pub, COSIGN_SIGN_PREDICATE_TYPE)
    assert.equal(asAttestation.code, 0, asAttestation.stderr)
    const [statement] = printedStatements(asAttestation.stdout)
    assert.equal(statement._type, 'https://in-toto.io/Statement/v1')
    assert.deepEqual(statement.subject, [{digest: {sha256: image.digest.slice(7)}, annotations: {team: 'payments'}}])
    assert.notEqual((await cosignVerifyAttestation(ref, other.pub, COSIGN_SIGN_PREDICATE_TYPE)).code, 0)
  })

  it('our verify checks key, digest, annotations and predicate type', async () => {
    const image = await fresh('checked')
    await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {team: 'payments', env: 'prod'}})
    await writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: CYCLONEDX, predicate: sbom('checked')})
    const base = {digest: image.digest, repository: image.repository, verifier, annotations: {}}
    const signatures = await verifyBundles(client, {...base, predicateType: COSIGN_SIGN_PREDICATE_TYPE, annotations: {team: 'payments'}})
    assert.equal(signatures.verified.length, 1)
    assert.equal(signatures.examined, 1, 'the attestation is not a signature candidate')
    assert.equal(signatures.verified[0]!.format, 'bundle')
    const all = await verifyBundles(client, base)
    assert.deepEqual(all.verified.map((v) => v.predicateType).sort(), [CYCLONEDX, COSIGN_SIGN_PREDICATE_TYPE].sort())
    const wrongKey = await verifyBundles(client, {...base, verifier: wrongVerifier})
    assert.equal(wrongKey.verified.length, 0)
    assert.equal(wrongKey.examined, 2)
    assert.match(wrongKey.rejected[0]!.reason, /signature verification failed/)
    const wrongAnnotation = await verifyBundles(client, {...base, predicateType: COSIGN_SIGN_PREDICATE_TYPE, annotations: {team: 'other'}})
    assert.equal(wrongAnnotation.verified.length, 0)
    assert.match(wrongAnnotation.rejected[0]!.reason, /annotation team=other/)
    // A bundle listed under another image's digest does not verify for it.
    const elsewhere = await fresh('elsewhere')
    assert.equal((await verifyBundles(client, {...base, digest: elsewhere.digest, repository: elsewhere.repository})).verified.length, 0)
  })

  it('P-384 keys sign over SHA-384 as cosign 3 does; cosign 2.5 (SHA-256 for every ECDSA key) rejects them', async () => {
    const image = await fresh('p384')
    const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'secp384r1'})
    const p384 = signerFromKey(privateKey, 'test P-384 key')
    const pub = join(work, 'p384.pub')
    writeFileSync(pub, p384.publicKeyPem)
    await writeBundleAttestation(new BundleWriter(client), {...target(image), signer: p384, predicateType: CYCLONEDX, predicate: sbom('p384')})
    const ours = await verifyBundles(client, {digest: image.digest, repository: image.repository, verifier: verifierFromKey(publicKey, 'pub'), annotations: {}})
    assert.equal(ours.verified.length, 1, JSON.stringify(ours.rejected))
    // cosign 2.5 loads every ECDSA key with SHA-256 (pkg/cosign/keys.go); cosign 3 picks the
    // curve's digest (LoadDefaultSignerVerifier). Measured here so a change in either shows up.
    const cosign = await cosignVerifyAttestation(`${registry.host}/p384@${image.digest}`, pub, 'cyclonedx')
    assert.notEqual(cosign.code, 0)
    assert.match(cosign.stderr, /accepted signatures do not match threshold/)
  })

  it('signing twice adds one referrer; a different statement adds another', async () => {
    const image = await fresh('twice')
    const first = await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {run: '1'}})
    const again = await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {run: '1'}})
    assert.equal(again.appended, false)
    assert.equal(again.referrerDigest, first.referrerDigest)
    const attested = await writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: CYCLONEDX, predicate: sbom('twice')})
    const reattested = await writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: CYCLONEDX, predicate: sbom('twice')})
    assert.equal(reattested.appended, false)
    assert.equal(reattested.referrerDigest, attested.referrerDigest)
    assert.equal((await fetchManifest(registry, 'twice', referrersTag(image.digest))).json.manifests.length, 2)
    const changed = await writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {run: '2'}})
    assert.equal(changed.appended, true)
    // Another key's identical statement is not ours: it is added.
    const otherSigner = await loadSigner(other.key, staticPassword(other.password))
    assert.equal((await writeBundleSignature(new BundleWriter(client), {...target(image), signer: otherSigner, annotations: {run: '1'}})).appended, true)
    assert.equal((await fetchManifest(registry, 'twice', referrersTag(image.digest))).json.manifests.length, 4)
  })

  it('concurrent writers for one image all end up in the fallback index', async () => {
    const image = await fresh('concurrent')
    const results = await Promise.all([
      writeBundleSignature(new BundleWriter(client), {...target(image), annotations: {}}),
      writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: CYCLONEDX, predicate: sbom('concurrent')}),
      writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: SPDX, predicate: Buffer.from('{"spdxVersion":"SPDX-2.3"}')}),
      writeBundleAttestation(new BundleWriter(client), {...target(image), predicateType: 'https://example.com/custom', predicate: Buffer.from('{}')}),
    ])
    const index = (await fetchManifest(registry, 'concurrent', referrersTag(image.digest))).json
    assert.deepEqual(index.manifests.map((m: {digest: string}) => m.digest).sort(), results.map((r) => r.referrerDigest).sort())
    assert.equal((await verifyBundles(client, {digest: image.digest, repository: image.repository, verifier, annotations: {}})).verified.length, 4)
  })

  it('writes to a signature repository and verifies from there', async () => {
    const image = await fresh('elsewhere-signed')
    const signatures = parseRepositoryName(`${registry.host}/signatures`)
    const written = await writeBundleAttestation(new BundleWriter(client), {...target(image), signatureRepository: signatures, predicateType: CYCLONEDX, predicate: sbom('x')})
    assert.deepEqual(written.repository, signatures)
    await fetchManifest(registry, 'signatures', referrersTag(image.digest))
    const ours = await verifyBundles(client, {digest: image.digest, repository: signatures, verifier, annotations: {}})
    assert.equal(ours.verified.length, 1)
    assert.equal((await verifyBundles(client, {digest: image.digest, repository: image.repository, verifier, annotations: {}})).verified.length, 0)
  })
})
