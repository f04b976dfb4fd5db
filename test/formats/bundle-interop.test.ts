/** Bundles written by the real cosign 2.5 (`attest --new-bundle-format`), read and verified by us, side by side with ours. */
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {BUNDLE_MEDIA_TYPE, BundleWriter} from '../../src/formats/bundle/index.js'
import {writeBundleAttestation} from '../helpers/write-one.js'
import {verifyBundles} from '../../src/verify/index.js'
import {type Signer, type Verifier, loadSigner, loadVerifier, staticPassword} from '../../src/keys/index.js'
import {referrersTag} from '../../src/registry/referrers.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {runCosign} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

const CYCLONEDX = 'https://cyclonedx.org/bom'
const work = mkdtempSync(join(tmpdir(), 'bundle-interop-'))
const trustedRoot = join(work, 'trusted-root.json')
writeFileSync(
  trustedRoot,
  JSON.stringify({mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []}),
)

function sbomFile(name: string): string {
  const path = join(work, `${name}.cdx.json`)
  writeFileSync(path, JSON.stringify({bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, metadata: {component: {type: 'application', name}}}))
  return path
}

/** cosign 2.5 offline: a key file, no Rekor upload (nothing leaves the machine). */
async function cosignAttest(key: TestKey, image: string, predicate: string, type = 'cyclonedx'): Promise<void> {
  const result = await runCosign(
    ['attest', '--new-bundle-format', '--key', key.key, '--tlog-upload=false', '-y', '--allow-http-registry', '--predicate', predicate, '--type', type, image],
    {env: {COSIGN_PASSWORD: key.password}},
  )
  assert.equal(result.code, 0, result.stderr)
}

describe('bundle format, interoperating with cosign 2.5', () => {
  let registry: TestRegistry
  let key: TestKey
  let other: TestKey
  let signer: Signer
  let verifier: Verifier
  let wrongVerifier: Verifier
  const client = testClient()

  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'shared')
    other = await generateTestKey(work, 'other')
    signer = await loadSigner(key.key, staticPassword(key.password))
    verifier = await loadVerifier(key.pub)
    wrongVerifier = await loadVerifier(other.pub)
  })
  after(() => registry.stop())

  const fresh = (name: string): Promise<PushedImage> => pushImage(client, `${registry.host}/${name}:v1`)

  it('verifies a bundle attestation cosign wrote; another key does not', async () => {
    const image = await fresh('cosign-attested')
    await cosignAttest(key, `${registry.host}/cosign-attested@${image.digest}`, sbomFile('cosign-attested'))
    const request = {digest: image.digest, repository: image.repository, verifier, annotations: {}, predicateType: CYCLONEDX}
    const result = await verifyBundles(client, request)
    assert.equal(result.via, 'fallback-tag')
    assert.equal(result.verified.length, 1, JSON.stringify(result.rejected))
    const [verified] = result.verified
    assert.equal(verified!.format, 'bundle')
    assert.equal(verified!.statement._type, 'https://in-toto.io/Statement/v0.1')
    assert.deepEqual(verified!.statement.subject[0]!.digest, {sha256: image.digest.slice(7)})
    assert.equal((verified!.statement.predicate as any).metadata.component.name, 'cosign-attested')
    const wrongKey = await verifyBundles(client, {...request, verifier: wrongVerifier})
    assert.equal(wrongKey.verified.length, 0)
    assert.equal(wrongKey.examined, 1)
    assert.match(wrongKey.rejected[0]!.reason, /signature verification failed/)
    assert.equal((await verifyBundles(client, {...request, predicateType: 'https://spdx.dev/Document'})).examined, 0)
  })

  it('the fallback index keeps the entries of both tools: cosign, then us, then cosign again', async () => {
    const image = await fresh('both')
    const ref = `${registry.host}/both@${image.digest}`
    const tag = referrersTag(image.digest)
    await cosignAttest(key, ref, sbomFile('first'))
    const [cosignFirst] = (await fetchManifest(registry, 'both', tag)).json.manifests
    const ours = await writeBundleAttestation(new BundleWriter(client), {
      imageRepository: image.repository,
      digest: image.digest,
      signatureRepository: image.repository,
      signer,
      predicateType: CYCLONEDX,
      predicate: Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"metadata":{"component":{"type":"application","name":"ours"}}}'),
    })
    assert.equal(ours.appended, true)
    await cosignAttest(key, ref, sbomFile('second'))
    const index = (await fetchManifest(registry, 'both', tag)).json
    const digests: string[] = index.manifests.map((m: {digest: string}) => m.digest)
    assert.equal(digests.length, 3)
    assert.ok(digests.includes(cosignFirst.digest), 'cosign\'s first entry survived our write')
    assert.ok(digests.includes(ours.referrerDigest), 'our entry survived cosign\'s second write')
    assert.deepEqual(digests, [...digests].sort(), 'sorted by digest, as both tools write it')
    const ourEntry = index.manifests.find((m: {digest: string}) => m.digest === ours.referrerDigest)
    assert.equal(ourEntry.artifactType, BUNDLE_MEDIA_TYPE)

    const verified = await verifyBundles(client, {digest: image.digest, repository: image.repository, verifier, annotations: {}, predicateType: CYCLONEDX})
    assert.equal(verified.verified.length, 3, JSON.stringify(verified.rejected))
    const names = verified.verified.map((v) => (v.statement.predicate as any).metadata.component.name).sort()
    assert.deepEqual(names, ['first', 'ours', 'second'])

    const cosignVerified = await runCosign([
      'verify-attestation', '--new-bundle-format', '--trusted-root', trustedRoot, '--key', key.pub,
      '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'cyclonedx', ref,
    ])
    assert.equal(cosignVerified.code, 0, cosignVerified.stderr)
    assert.equal(cosignVerified.stdout.trim().split('\n').filter((l) => l.startsWith('{')).length, 3)
  })
})
