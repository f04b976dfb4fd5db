import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {SbomNote} from '../../src/sbom/documents.js'
import {readSbomDocuments} from '../../src/sbom/read.js'
import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {buildTar, gzip, sha256Digest, type TarEntryInput} from '../fixtures/tar.js'
import {assertSbomInvalid, chunked, DOCKER_GZIP, OCI_GZIP, OCI_TAR} from './helpers.js'

const cdx = '{"bomFormat":"CycloneDX","specVersion":"1.4"}'
const spdx = '{"spdxVersion":"SPDX-2.2","SPDXID":"SPDXRef-DOCUMENT"}'
const syft = '{"artifacts":[],"schema":{"version":"2.0.2"}}'

/** A layer as the lifecycle lays it out, plus things that must be ignored. */
const LAYER: TarEntryInput[] = [
  {path: 'layers', type: 'dir'},
  {path: 'layers/sbom', type: 'dir'},
  {path: 'layers/sbom/launch', type: 'dir'},
  {path: 'layers/sbom/launch/paketo-buildpacks_node-engine', type: 'dir'},
  {path: 'layers/sbom/launch/paketo-buildpacks_node-engine/node', type: 'dir'},
  {path: 'layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.cdx.json', content: cdx},
  {path: '/layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.spdx.json', content: spdx},
  {path: './layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.syft.json', content: syft},
  {path: '/layers/sbom/launch/paketo-buildpacks_npm-install/sbom.cdx.json', content: cdx},
  {path: 'layers/sbom/launch/paketo-buildpacks_npm-install/sbom.spdx.json', content: spdx},
  {path: './layers/sbom/launch/paketo-buildpacks_npm-install/sbom.syft.json', content: syft},
  {path: 'layers/sbom/launch/buildpacksio_lifecycle/sbom.cdx.json', content: cdx},
  // Ignored: build and cache SBOMs, other names, other depths, other places.
  {path: 'layers/sbom/build/paketo-buildpacks_node-engine/sbom.cdx.json', content: 'not json, never read'},
  {path: 'layers/sbom/cache/paketo-buildpacks_node-engine/sbom.cdx.json', content: 'not json, never read'},
  {path: 'layers/sbom/launch/sbom.legacy.json', content: 'legacy'},
  {path: 'layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.cdx.xml', content: '<bom/>'},
  {path: 'layers/sbom/launch/paketo-buildpacks_node-engine/node/deeper/sbom.cdx.json', content: 'no'},
  {path: 'layers/sbom/launch/sbom.cdx.json', content: 'no'},
  {path: 'workspace/layers/sbom/launch/bp/sbom.cdx.json', content: 'no'},
  {path: 'layers/sbom/launch/bp/sbom.json', content: 'no'},
]

const EXPECTED = [
  ['layers/sbom/launch/buildpacksio_lifecycle/sbom.cdx.json', 'buildpacksio_lifecycle', undefined, 'cyclonedx', cdx],
  ['layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.cdx.json', 'paketo-buildpacks_node-engine', 'node', 'cyclonedx', cdx],
  ['layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.spdx.json', 'paketo-buildpacks_node-engine', 'node', 'spdx', spdx],
  ['layers/sbom/launch/paketo-buildpacks_node-engine/node/sbom.syft.json', 'paketo-buildpacks_node-engine', 'node', 'syft', syft],
  ['layers/sbom/launch/paketo-buildpacks_npm-install/sbom.cdx.json', 'paketo-buildpacks_npm-install', undefined, 'cyclonedx', cdx],
  ['layers/sbom/launch/paketo-buildpacks_npm-install/sbom.spdx.json', 'paketo-buildpacks_npm-install', undefined, 'spdx', spdx],
  ['layers/sbom/launch/paketo-buildpacks_npm-install/sbom.syft.json', 'paketo-buildpacks_npm-install', undefined, 'syft', syft],
] as const

const TYPES = {
  cyclonedx: ['application/vnd.cyclonedx+json', 'https://cyclonedx.org/bom'],
  spdx: ['text/spdx+json', 'https://spdx.dev/Document'],
  syft: ['application/vnd.syft+json', 'https://syft.dev/bom'],
} as const

describe('readSbomDocuments', () => {
  it('reads every launch SBOM at both path shapes, with and without a leading / or ./', async () => {
    const tar = buildTar(LAYER)
    const docs = await readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(tar))
    assert.deepEqual(
      docs.map((d) => [d.path, d.buildpack, d.layer, d.format, d.content.toString()]),
      EXPECTED.map((e) => [...e]),
    )
    for (const doc of docs) {
      assert.deepEqual([doc.mediaType, doc.predicateType], [...TYPES[doc.format]])
      assert.ok(Buffer.isBuffer(doc.content))
      if (doc.layer === undefined) assert.ok(!('layer' in doc), 'no layer key for buildpack-level documents')
    }
  })

  it('reads plain tar, Docker gzip, and streamed input the same way', async () => {
    const tar = buildTar(LAYER)
    const diffId = sha256Digest(tar)
    const expected = EXPECTED.map((e) => e[0])
    for (const [layer, mediaType] of [
      [tar, OCI_TAR],
      [gzip(tar), DOCKER_GZIP],
      [chunked(gzip(tar), 7), OCI_GZIP],
      [chunked(tar, 1000), OCI_TAR],
    ] as const) {
      const docs = await readSbomDocuments(layer, mediaType, diffId)
      assert.deepEqual(docs.map((d) => d.path), expected, mediaType)
    }
  })

  it('works with the shared SBOM layer fixture', async () => {
    const fixture = buildSbomLayer()
    const docs = await readSbomDocuments(fixture.blob, fixture.descriptor.mediaType, fixture.diffId)
    assert.deepEqual(docs.map((d) => d.format).sort(), ['cyclonedx', 'spdx', 'syft'])
  })

  it('follows pax and GNU long names and the ustar prefix', async () => {
    const bp = `example-org_${'very-long-buildpack-name-'.repeat(6)}`
    const layer = 'l'.repeat(90)
    const tar = buildTar([
      {path: `layers/sbom/launch/${bp}/${layer}/sbom.cdx.json`, content: cdx, longPath: 'pax'},
      {path: `/layers/sbom/launch/${bp}/${layer}/sbom.spdx.json`, content: spdx, longPath: 'gnu'},
      {path: `layers/sbom/launch/${bp}/sbom.syft.json`, content: syft}, // 170 bytes: ustar prefix split
      {path: 'after/the/long/ones', content: 'x'}, // metadata must not leak onto later entries
      {path: 'layers/sbom/launch/short/sbom.cdx.json', content: cdx},
    ])
    const docs = await readSbomDocuments(tar, OCI_TAR, sha256Digest(tar))
    assert.deepEqual(
      docs.map((d) => [d.path, d.buildpack, d.layer, d.format]),
      [
        [`layers/sbom/launch/${bp}/${layer}/sbom.cdx.json`, bp, layer, 'cyclonedx'],
        [`layers/sbom/launch/${bp}/${layer}/sbom.spdx.json`, bp, layer, 'spdx'],
        [`layers/sbom/launch/${bp}/sbom.syft.json`, bp, undefined, 'syft'],
        ['layers/sbom/launch/short/sbom.cdx.json', 'short', undefined, 'cyclonedx'],
      ],
    )
  })

  it('returns an empty list for a layer without launch SBOMs', async () => {
    const tar = buildTar([{path: 'layers/sbom/build/bp/sbom.cdx.json', content: cdx}])
    assert.deepEqual(await readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(tar)), [])
  })

  it('lets a later entry for the same path replace an earlier one, as extraction would', async () => {
    const path = 'layers/sbom/launch/bp/sbom.cdx.json'
    const tar = buildTar([{path, content: '{"v":1}'}, {path: `./${path}`, content: '{"v":2}'}])
    const docs = await readSbomDocuments(tar, OCI_TAR, sha256Digest(tar))
    assert.deepEqual(docs.map((d) => d.content.toString()), ['{"v":2}'])
  })

  it('hashes bytes after the end-of-archive marker too (the diffID covers them)', async () => {
    const tar = Buffer.concat([buildTar(LAYER), Buffer.alloc(4096)])
    const docs = await readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(tar))
    assert.equal(docs.length, EXPECTED.length)
    await assertSbomInvalid(readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(buildTar(LAYER))), /does not match its diffID/)
  })

  it('refuses a layer whose uncompressed content does not match the diffID', async () => {
    const tar = buildTar(LAYER)
    const other = sha256Digest(Buffer.from('another layer'))
    await assertSbomInvalid(
      readSbomDocuments(gzip(tar), OCI_GZIP, other),
      new RegExp(`does not match its diffID: the image config says ${other}, the layer has ${sha256Digest(tar)}`),
    )
    // The blob digest is not the diffID: a caller mixing them up must be told.
    await assertSbomInvalid(readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(gzip(tar))), /does not match its diffID/)
    await assertSbomInvalid(readSbomDocuments(tar, OCI_TAR, 'sha512:abcd'), /diffID "sha512:abcd" is not a sha256 digest/)
  })

  it('accepts an upper-case diffID', async () => {
    const tar = buildTar(LAYER)
    const docs = await readSbomDocuments(tar, OCI_TAR, sha256Digest(tar).toUpperCase().replace('SHA256', 'sha256'))
    assert.equal(docs.length, EXPECTED.length)
  })

  it('refuses zstd and unknown media types', async () => {
    const tar = buildTar(LAYER)
    await assertSbomInvalid(readSbomDocuments(tar, 'application/vnd.oci.image.layer.v1.tar+zstd', sha256Digest(tar)), /zstd-compressed .* not supported/)
    await assertSbomInvalid(readSbomDocuments(tar, 'application/json', sha256Digest(tar)), /media type "application\/json", which is not a tar/)
  })

  it('refuses gzip that is not gzip, or cut short', async () => {
    const tar = buildTar(LAYER)
    await assertSbomInvalid(readSbomDocuments(tar, OCI_GZIP, sha256Digest(tar)), /not valid gzip/)
    const blob = gzip(tar)
    await assertSbomInvalid(readSbomDocuments(blob.subarray(0, blob.length - 40), OCI_GZIP, sha256Digest(tar)), /not valid gzip: unexpected end of file/)
  })

  it('skips entries with .. segments and SBOM paths that are links, and notes them', async () => {
    const notes: SbomNote[] = []
    const tar = buildTar([
      {path: 'layers/sbom/launch/bp/sbom.cdx.json', content: cdx},
      {path: 'layers/sbom/launch/evil/../bp/sbom.spdx.json', content: spdx},
      {path: '../../layers/sbom/launch/bp/sbom.syft.json', content: syft},
      {path: '/layers/sbom/launch/../../../../etc/passwd', content: 'root:x:0:0'},
      {path: 'layers/sbom/launch/bp2/sbom.cdx.json', typeflag: '2', linkname: '/etc/passwd'},
      {path: 'layers/sbom/launch/bp3/sbom.cdx.json', typeflag: '1', linkname: 'layers/sbom/launch/bp/sbom.cdx.json'},
      {path: '//layers//sbom/./launch/bp4/sbom.cdx.json', content: cdx}, // odd but harmless: normalised
    ])
    const docs = await readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(tar), {}, (note) => notes.push(note))
    assert.deepEqual(docs.map((d) => d.path), ['layers/sbom/launch/bp/sbom.cdx.json', 'layers/sbom/launch/bp4/sbom.cdx.json'])
    assert.deepEqual(notes, [
      {path: 'layers/sbom/launch/evil/../bp/sbom.spdx.json', reason: 'skipped: the name contains a ".." segment'},
      {path: '../../layers/sbom/launch/bp/sbom.syft.json', reason: 'skipped: the name contains a ".." segment'},
      {path: '/layers/sbom/launch/../../../../etc/passwd', reason: 'skipped: the name contains a ".." segment'},
      {path: 'layers/sbom/launch/bp2/sbom.cdx.json', reason: "skipped: a symlink (typeflag '2'), not a regular file"},
      {path: 'layers/sbom/launch/bp3/sbom.cdx.json', reason: "skipped: a hardlink (typeflag '1'), not a regular file"},
    ])
    // Without a listener the same layer reads fine.
    assert.equal((await readSbomDocuments(tar, OCI_TAR, sha256Digest(tar))).length, 2)
  })

  it('refuses a document that is not JSON, naming its path', async () => {
    const bad = async (content: Buffer | string, message: RegExp) => {
      const tar = buildTar([
        {path: 'layers/sbom/launch/ok/sbom.cdx.json', content: cdx},
        {path: 'layers/sbom/launch/bp/sbom.spdx.json', content},
      ])
      await assertSbomInvalid(readSbomDocuments(gzip(tar), OCI_GZIP, sha256Digest(tar)), message)
    }

    await bad('{"spdxVersion": ', /the SBOM document layers\/sbom\/launch\/bp\/sbom\.spdx\.json is not valid JSON/)
    await bad('', /sbom\.spdx\.json is not valid JSON/)
    await bad('[1,2]', /sbom\.spdx\.json is not a JSON object/)
    await bad('null', /sbom\.spdx\.json is not a JSON object/)
    await bad(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /sbom\.spdx\.json is not valid JSON/) // invalid UTF-8
    await bad(`\uFEFF${spdx}`, /sbom\.spdx\.json is not valid JSON/) // BOM: Go's encoding/json refuses it too
  })

  it('refuses a truncated tar', async () => {
    const tar = buildTar(LAYER)
    for (const cut of [700, 1024 + 100, tar.length - 1024]) {
      const truncated = tar.subarray(0, cut) // the diffID of what is there: only the tar is wrong
      await assertSbomInvalid(readSbomDocuments(gzip(truncated), OCI_GZIP, sha256Digest(truncated)), /not a valid tar archive: .*truncated/)
    }

    const noTrailer = tar.subarray(0, tar.length - 1024)
    await assertSbomInvalid(readSbomDocuments(noTrailer, OCI_TAR, sha256Digest(noTrailer)), /without an end-of-archive block/)
    // Truncated and not the layer the config names: the digest is the answer.
    await assertSbomInvalid(readSbomDocuments(tar.subarray(0, 700), OCI_TAR, sha256Digest(tar)), /does not match its diffID/)
  })

  it('refuses bytes that are not a tar at all', async () => {
    const junk = Buffer.alloc(2048, 0x61)
    await assertSbomInvalid(readSbomDocuments(gzip(junk), OCI_GZIP, sha256Digest(junk)), /not a valid tar archive: .*bad checksum/)
  })
})
