import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {isPluginError} from '../../src/errors.js'
import {BUILD_TYPE, LABELS, type ResourceDescriptor, invocationId, provenancePredicate} from '../../src/provenance/predicate.js'
import {assertSlsaV1Provenance as assertSlsaV1, slsaV1ProvenanceProblems} from '../helpers/slsa.js'

/** Labels as the lifecycle writes them on an app image built by three buildpacks from a git checkout. */
const COMMIT = 'a'.repeat(40)
const RUN_DIGEST = 'b'.repeat(64)
const labels = {
  [LABELS.build]: JSON.stringify({
    bom: null,
    buildpacks: [
      {id: 'paketo-buildpacks/ca-certificates', version: '3.8.6', homepage: 'https://example.com/ca-certificates'},
      {id: 'paketo-buildpacks/node-engine', version: '4.1.12'},
      {id: 'paketo-buildpacks/npm-install', version: '1.5.2'},
    ],
    launcher: {version: '0.20.4'},
    processes: [{type: 'web', command: ['npm'], args: ['start'], direct: true}],
  }),
  [LABELS.lifecycle]: JSON.stringify({
    runImage: {topLayer: `sha256:${'c'.repeat(64)}`, reference: `registry.example.com/run@sha256:${RUN_DIGEST}`, image: 'registry.example.com/run:jammy'},
    sbom: {sha: `sha256:${'d'.repeat(64)}`},
  }),
  [LABELS.project]: JSON.stringify({source: {type: 'git', version: {commit: COMMIT}, metadata: {repository: 'https://git.example.com/shop/api', refs: ['main']}}}),
}
const builder = {id: 'urn:pack-ts:plugin-sign', version: {'@pack-ts/plugin-sign': '0.1.0'}}

const kinds = (dependencies: ResourceDescriptor[]) => dependencies.map((d) => d.annotations?.kind)

describe('SLSA v1 provenance predicate', () => {
  it('lists the source, every buildpack, the run image and the lifecycle, with what was asked for', () => {
    const {predicate, warnings} = provenancePredicate({labels, tags: ['registry.example.com/shop/api:1.4.2'], builder, env: {}})
    assert.deepEqual(warnings, [])
    assertSlsaV1(predicate)
    assert.equal(predicate.buildDefinition.buildType, BUILD_TYPE)
    assert.deepEqual(predicate.buildDefinition.externalParameters, {tags: ['registry.example.com/shop/api:1.4.2']})
    const dependencies = predicate.buildDefinition.resolvedDependencies
    assert.deepEqual(kinds(dependencies), ['source', 'buildpack', 'buildpack', 'buildpack', 'run-image', 'lifecycle'])
    assert.deepEqual(dependencies[0], {
      uri: `git+https://git.example.com/shop/api@${COMMIT}`,
      name: 'source',
      digest: {gitCommit: COMMIT},
      annotations: {kind: 'source', type: 'git', commit: COMMIT, refs: ['main']},
    })
    assert.deepEqual(dependencies[1], {
      uri: 'urn:cnb:buildpack:paketo-buildpacks/ca-certificates@3.8.6',
      name: 'paketo-buildpacks/ca-certificates',
      annotations: {kind: 'buildpack', version: '3.8.6', homepage: 'https://example.com/ca-certificates'},
    })
    assert.deepEqual(dependencies[4]!.digest, {sha256: RUN_DIGEST})
    assert.equal(dependencies[4]!.uri, 'docker://registry.example.com/run:jammy')
    assert.equal(dependencies[5]!.uri, 'urn:cnb:lifecycle@0.20.4')
    assert.deepEqual(predicate.runDetails, {builder})
  })

  it("adds the host's inputs (builder image, requested buildpacks, env names, times) and the CI run", () => {
    const {predicate} = provenancePredicate({
      labels,
      tags: ['r/app:v1'],
      builder,
      host: {builder: `registry.example.com/builder@sha256:${'e'.repeat(64)}`, buildpacks: ['paketo-buildpacks/nodejs'], env: ['NODE_ENV', 'BP_NODE_VERSION'], startedOn: '2026-11-30T10:00:00Z', finishedOn: '2026-11-30T10:02:00Z'},
      env: {GITHUB_SERVER_URL: 'https://github.example.com', GITHUB_REPOSITORY: 'shop/api', GITHUB_RUN_ID: '42', GITHUB_RUN_ATTEMPT: '2'},
    })
    assertSlsaV1(predicate)
    assert.deepEqual(predicate.buildDefinition.externalParameters, {
      tags: ['r/app:v1'],
      builder: `registry.example.com/builder@sha256:${'e'.repeat(64)}`,
      buildpacks: ['paketo-buildpacks/nodejs'],
      env: ['BP_NODE_VERSION', 'NODE_ENV'],
    })
    assert.deepEqual(kinds(predicate.buildDefinition.resolvedDependencies).slice(0, 2), ['source', 'builder'])
    assert.deepEqual(predicate.runDetails.metadata, {
      invocationId: 'https://github.example.com/shop/api/actions/runs/42/attempts/2',
      startedOn: '2026-11-30T10:00:00Z',
      finishedOn: '2026-11-30T10:02:00Z',
    })
    assert.equal(invocationId({CI_JOB_URL: 'https://gitlab.example.com/shop/api/-/jobs/7'}), 'https://gitlab.example.com/shop/api/-/jobs/7')
    assert.equal(invocationId({}), undefined)
  })

  it('an image without build labels: a warning per label, and a predicate that is still valid', () => {
    const {predicate, warnings} = provenancePredicate({labels: {}, tags: ['r/app:v1'], builder, env: {}})
    assert.equal(warnings.length, 3)
    assert.match(warnings[0]!, /no io\.buildpacks\.build\.metadata label/)
    assertSlsaV1(predicate)
    assert.deepEqual(predicate.buildDefinition.resolvedDependencies, [])
  })

  it("the SLSA v1 schema check: our predicate (with the host's inputs) passes, each broken required field is caught", () => {
    const {predicate} = provenancePredicate({
      labels,
      tags: ['r/app:v1'],
      builder,
      host: {builder: `registry.example.com/builder@sha256:${'e'.repeat(64)}`, startedOn: '2026-11-30T10:00:00Z', finishedOn: '2026-11-30T10:02:00.5+01:00'},
      env: {CI_JOB_URL: 'https://gitlab.example.com/shop/api/-/jobs/7'},
    })
    assert.deepEqual(slsaV1ProvenanceProblems(JSON.parse(JSON.stringify(predicate))), [])
    // The schema allows a descriptor of content alone, and other algorithms at their own lengths.
    const content = {content: Buffer.from('x').toString('base64')}
    const sha512 = {uri: 'https://example.com/a', digest: {sha512: 'f'.repeat(128)}}
    assert.deepEqual(slsaV1ProvenanceProblems({...predicate, buildDefinition: {...predicate.buildDefinition, resolvedDependencies: [content, sha512]}}), [])

    const broken = (change: (p: any) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(predicate))
      change(copy)
      return slsaV1ProvenanceProblems(copy)
    }
    const cases: [string, (p: any) => void, RegExp][] = [
      ['no buildType', (p) => delete p.buildDefinition.buildType, /buildDefinition\.buildType: required/],
      ['buildType not a URI', (p) => (p.buildDefinition.buildType = 'cnb build'), /buildDefinition\.buildType: not a URI/],
      ['no externalParameters', (p) => delete p.buildDefinition.externalParameters, /externalParameters: required/],
      ['externalParameters a list', (p) => (p.buildDefinition.externalParameters = ['r/app:v1']), /externalParameters: required, an object/],
      ['no builder.id', (p) => delete p.runDetails.builder.id, /runDetails\.builder\.id: required/],
      ['no runDetails', (p) => delete p.runDetails, /^runDetails: required/],
      ['a descriptor with neither uri, digest nor content', (p) => p.buildDefinition.resolvedDependencies.push({name: 'x', annotations: {}}), /resolvedDependencies\[\d+\]: a ResourceDescriptor needs at least one of uri, digest, content/],
      ['an uppercase digest', (p) => (p.buildDefinition.resolvedDependencies[0].digest = {gitCommit: 'A'.repeat(40)}), /resolvedDependencies\[0\]\.digest\.gitCommit: not lowercase hex/],
      ['a sha256 of the wrong length', (p) => (p.buildDefinition.resolvedDependencies[0].digest = {sha256: 'a'.repeat(40)}), /digest\.sha256: 40 hex digits, sha256 has 64/],
      ['a prefixed digest', (p) => (p.buildDefinition.resolvedDependencies[0].digest = {sha256: `sha256:${'a'.repeat(64)}`}), /digest\.sha256: not lowercase hex/],
      ['an empty digest', (p) => (p.buildDefinition.resolvedDependencies[0].digest = {}), /digest: a non-empty map/],
      ['a date without a zone', (p) => (p.runDetails.metadata.startedOn = '2026-11-30T10:00:00'), /startedOn: not an RFC 3339 timestamp/],
      ['a date only', (p) => (p.runDetails.metadata.finishedOn = '2026-11-30'), /finishedOn: not an RFC 3339 timestamp/],
    ]
    for (const [name, change, expected] of cases) {
      const problems = broken(change)
      assert.ok(problems.some((problem) => expected.test(problem)), `${name}: ${JSON.stringify(problems)}`)
    }
  })

  it('a malformed label is an error naming the label', () => {
    assert.throws(
      () => provenancePredicate({labels: {...labels, [LABELS.project]: '{not json'}, tags: [], builder, env: {}}),
      (error: unknown) => isPluginError(error) && error.message.includes('io.buildpacks.project.metadata is malformed'),
    )
  })
})
