import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {isPluginError} from '../../src/errors.js'
import {findSbomLayer, LIFECYCLE_METADATA_LABEL} from '../../src/sbom/locate.js'

const diff = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`
const blob = (n: number): string => `sha256:${(n + 100).toString(16).padStart(64, '0')}`
const layer = (n: number) => ({mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: blob(n), size: 100 + n})

function image(label: unknown, count = 3) {
  const labels: Record<string, unknown> = {'org.opencontainers.image.title': 'app'}
  if (label !== undefined) labels[LIFECYCLE_METADATA_LABEL] = typeof label === 'string' ? label : JSON.stringify(label)
  return {
    manifest: {schemaVersion: 2, layers: Array.from({length: count}, (_, i) => layer(i))},
    config: {config: {Labels: labels}, rootfs: {type: 'layers', diff_ids: Array.from({length: count}, (_, i) => diff(i))}},
  }
}

function assertSbomInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isPluginError(error), `not a PluginError: ${error}`)
    assert.equal(error.code, 'SBOM_INVALID')
    assert.match(error.message, message)
    return true
  })
}

describe('findSbomLayer', () => {
  it('finds the manifest layer at the position of the label diffID in rootfs.diff_ids', () => {
    const {manifest, config} = image({buildpacks: [], sbom: {sha: diff(1)}})
    const found = findSbomLayer(manifest, config)
    assert.deepEqual(found, {descriptor: layer(1), diffId: diff(1), index: 1})
    assert.equal(found?.descriptor, manifest.layers[1], 'the descriptor object itself, annotations and all')
  })

  it('returns undefined when the image carries no SBOM', () => {
    assert.equal(findSbomLayer(image(undefined).manifest, image(undefined).config), undefined, 'no label')
    for (const label of [{buildpacks: []}, {sbom: null}, {sbom: {}}, {sbom: {sha: ''}}]) {
      const {manifest, config} = image(label)
      assert.equal(findSbomLayer(manifest, config), undefined, JSON.stringify(label))
    }

    assert.equal(findSbomLayer({layers: []}, {config: {Labels: null}}), undefined, 'Labels null')
    assert.equal(findSbomLayer({layers: []}, {}), undefined, 'no config.config')
  })

  it('returns undefined when the diffID is not listed (the caller warns)', () => {
    const {manifest, config} = image({sbom: {sha: diff(9)}})
    assert.equal(findSbomLayer(manifest, config), undefined)
  })

  it('refuses a label that is not JSON, naming the label', () => {
    const {manifest, config} = image('{"sbom": {"sha": ')
    assertSbomInvalid(() => findSbomLayer(manifest, config), /io\.buildpacks\.lifecycle\.metadata is malformed: it is not valid JSON/)
  })

  it('refuses labels of the wrong shape', () => {
    for (const [label, why] of [
      ['[]', /not a JSON object/],
      ['"text"', /not a JSON object/],
      [{sbom: 'sha256:x'}, /"sbom" entry is not an object/],
      [{sbom: {sha: 42}}, /"sbom\.sha" \(42\) is not a sha256 diffID/],
      [{sbom: {sha: 'md5:abc'}}, /not a sha256 diffID/],
    ] as const) {
      const {manifest, config} = image(label)
      assertSbomInvalid(() => findSbomLayer(manifest, config), why)
    }

    const {manifest, config} = image(undefined)
    config.config.Labels[LIFECYCLE_METADATA_LABEL] = 7
    assertSbomInvalid(() => findSbomLayer(manifest, config), /not a string/)
  })

  it('refuses a config and manifest that disagree on the layer count', () => {
    const {manifest, config} = image({sbom: {sha: diff(1)}})
    manifest.layers.pop()
    assertSbomInvalid(() => findSbomLayer(manifest, config), /lists 3 layer diffIDs but the manifest has 2 layers/)
  })

  it('refuses an index, a config without diff_ids and a malformed descriptor', () => {
    const {manifest, config} = image({sbom: {sha: diff(2)}})
    assertSbomInvalid(() => findSbomLayer({manifests: []} as never, config), /expected an image manifest/)
    assertSbomInvalid(() => findSbomLayer(manifest, {config: config.config}), /no rootfs\.diff_ids/)
    const broken = {layers: [...manifest.layers.slice(0, 2), {mediaType: 'x', digest: 'sha256:nope', size: 1}]}
    assertSbomInvalid(() => findSbomLayer(broken, config), /layer 2 \(the SBOM layer\) is not a valid descriptor/)
  })

  it('takes the last position when the same diffID appears twice', () => {
    const {manifest, config} = image({sbom: {sha: diff(0)}})
    config.rootfs.diff_ids[2] = diff(0)
    assert.equal(findSbomLayer(manifest, config)?.index, 2)
  })
})
