import assert from 'node:assert/strict'
import {generateKeyPairSync, type KeyPairKeyObjectResult} from 'node:crypto'
import {after, before, describe, it} from 'node:test'

import {inTotoStatement} from '../../src/formats/attestation.js'
import {writeAttestation} from '../helpers/write-one.js'
import {TagWriter} from '../../src/formats/tag-writer.js'
import {IN_TOTO_PAYLOAD_TYPE, envelopeBytes, pae} from '../../src/formats/dsse.js'
import {signerFromKey, verifierFromKey} from '../../src/keys/index.js'
import {repositoryName} from '../../src/reference/reference.js'
import {type ImageManifest} from '../../src/registry/types.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'

const KEYS: Record<string, () => KeyPairKeyObjectResult> = {
  'ecdsa-p256': () => generateKeyPairSync('ec', {namedCurve: 'prime256v1'}),
  rsa: () => generateKeyPairSync('rsa', {modulusLength: 2048}),
  ed25519: () => generateKeyPairSync('ed25519'),
}

/** A pretty-printed document of a few MiB: whitespace to drop, escapes and spaces in strings. */
function prettyDocument(components: number): Buffer {
  const list = Array.from({length: components}, (_, i) => ({name: `package ${i} "quoted" \\ path`, version: `1.${i % 100}`, purl: `pkg:npm/p${i}@1`}))
  return Buffer.from(JSON.stringify({bomFormat: 'CycloneDX', specVersion: '1.4', components: list}, null, 2) + '\n')
}

describe('writeAttestation (.att layer of a large SBOM)', () => {
  let registry: TestRegistry
  before(async () => {
    registry = await startRegistry()
  })
  after(() => registry.stop())

  const predicate = prettyDocument(30_000) // about 3.5 MiB: several 1 MiB pieces
  const predicateType = 'https://cyclonedx.org/bom'

  for (const [name, generate] of Object.entries(KEYS)) {
    it(`${name}: the layer is byte for byte the one-buffer envelope of the statement, signed over its PAE`, async () => {
      const {privateKey, publicKey} = generate()
      const client = testClient()
      const image = await pushImage(client, `${registry.host}/att-${name}:v1`)
      const request = {
        imageRepository: image.repository,
        digest: image.digest,
        attestationRepository: image.repository,
        predicateType,
        predicate,
        signer: signerFromKey(privateKey, 'test key'),
        dockerMediaTypes: false,
      }
      const result = await writeAttestation(new TagWriter(client), request)
      assert.equal(result.appended, true)

      const manifest = (await client.getManifest(image.repository, result.tag)).json as ImageManifest
      assert.equal(manifest.layers.length, 1)
      const layer = manifest.layers[0]!
      const bytes = await client.getBlob(image.repository, layer.digest, 64 * 1024 * 1024)
      assert.equal(layer.size, bytes.length)
      const signature = Buffer.from((JSON.parse(bytes.toString()) as {signatures: {sig: string}[]}).signatures[0]!.sig, 'base64')
      const statement = inTotoStatement(repositoryName(image.repository), image.digest, predicateType, predicate)
      assert.deepEqual(bytes, envelopeBytes(IN_TOTO_PAYLOAD_TYPE, statement, signature))
      assert.ok(verifierFromKey(publicKey, 'test key').verify(pae(IN_TOTO_PAYLOAD_TYPE, statement), signature))
      assert.deepEqual(JSON.parse(statement.toString()).predicate, JSON.parse(predicate.toString()))

      // A re-run recognises its statement in the existing layer and adds nothing.
      const again = await writeAttestation(new TagWriter(client), request)
      assert.equal(again.appended, false)
      assert.equal(again.manifestDigest, result.manifestDigest)
    })
  }

  it('an envelope over 64 MiB (a 50 MiB SBOM) is recognised on a re-run, not refused as too large', async () => {
    const client = testClient()
    const image = await pushImage(client, `${registry.host}/att-large:v1`)
    const components = Array.from({length: 600_000}, (_, i) => `{"type":"library","name":"package-${i}","version":"1.${i % 100}","purl":"pkg:npm/p${i}@1.${i % 100}"}`)
    const document = Buffer.from(`{"bomFormat":"CycloneDX","specVersion":"1.4","components":[${components.join(',')}]}`)
    assert.ok(document.length > 48 * 1024 * 1024)
    const request = {imageRepository: image.repository, digest: image.digest, attestationRepository: image.repository, predicateType, predicate: document, signer: signerFromKey(KEYS['ecdsa-p256']!().privateKey, 'key'), dockerMediaTypes: false}
    const first = await writeAttestation(new TagWriter(client), request)
    const layer = ((await client.getManifest(image.repository, first.tag)).json as ImageManifest).layers[0]!
    assert.ok(layer.size > 64 * 1024 * 1024)
    const again = await writeAttestation(new TagWriter(client), request)
    assert.equal(again.appended, false)
    assert.equal(again.manifestDigest, first.manifestDigest)
  })

  it('another key, or another document, is a new attestation: the existing one is not taken for it', async () => {
    const client = testClient()
    const image = await pushImage(client, `${registry.host}/att-others:v1`)
    const request = {imageRepository: image.repository, digest: image.digest, attestationRepository: image.repository, predicateType, predicate, dockerMediaTypes: false}
    const signer = signerFromKey(KEYS['ecdsa-p256']!().privateKey, 'key one')
    assert.equal((await writeAttestation(new TagWriter(client), {...request, signer})).appended, true)
    // Same statement, signature by another key: does not verify, so appended.
    assert.equal((await writeAttestation(new TagWriter(client), {...request, signer: signerFromKey(KEYS['ecdsa-p256']!().privateKey, 'key two')})).appended, true)
    // Same key, same size, one byte of the document changed: appended.
    const changed = Buffer.from(predicate)
    changed[predicate.indexOf('package 7 ') + 8] = 0x38 // '7' → '8'
    const third = await writeAttestation(new TagWriter(client), {...request, predicate: changed, signer})
    assert.equal(third.appended, true)
    assert.equal(((await client.getManifest(image.repository, third.tag)).json as ImageManifest).layers.length, 3)
  })
})
