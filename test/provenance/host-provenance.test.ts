import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCosign} from '../helpers/run.js'
import {registrySnapshot} from '../helpers/snapshot.js'
import {runHost} from '../host/run-host.js'
import {type SigningSetup, signingSetup} from '../host/signing-setup.js'

const work = mkdtempSync(join(tmpdir(), 'host-provenance-'))
const COMMIT = 'a'.repeat(40)
const BUILDER = `registry.example.com/builder@sha256:${'b'.repeat(64)}`

function build(image: string, cosignConfig: string, provenance: unknown) {
  return runHost(['build', image, '--publish', '--sign', '--cosign-config', cosignConfig], {
    cwd: mkdtempSync(join(work, 'cwd-')),
    env: {PACK_TS_TEST_PROVENANCE: JSON.stringify(provenance)},
  })
}

describe("the host contract's provenance object (build --sign, provenance = true)", () => {
  let registry: TestRegistry
  let keys: SigningSetup
  let cosignConfig: string

  before(async () => {
    ;[registry, keys] = await Promise.all([startRegistry(), signingSetup(work)])
    cosignConfig = join(work, 'provenance.toml')
    writeFileSync(cosignConfig, readFileSync(keys.cosignConfig, 'utf8') + 'provenance = true\n')
  })
  after(() => registry.stop())

  it("lands in the attestation cosign verifies: builder, buildpacks, env names, times, and the host's source", async () => {
    const image = `${registry.host}/hosted:v1`
    const provenance = {
      builder: BUILDER,
      buildpacks: ['paketo-buildpacks/nodejs@1.2.3'],
      env: ['NODE_ENV', 'BP_NODE_VERSION'],
      startedOn: '2026-11-30T10:00:00Z',
      finishedOn: '2026-11-30T10:03:00Z',
      source: {uri: 'https://github.com/example/app', commit: COMMIT},
    }
    const built = await build(image, cosignConfig, provenance)
    assert.equal(built.code, 0, built.stderr)
    assert.match(built.stdout, /^Attested .*\(https:\/\/slsa\.dev\/provenance\/v1\)/m)

    const verified = await runCosign(['verify-attestation', '--key', keys.pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'slsaprovenance1', image])
    assert.equal(verified.code, 0, verified.stderr)
    const statement = JSON.parse(Buffer.from(JSON.parse(verified.stdout.trim().split('\n')[0]!).payload, 'base64').toString('utf8'))
    const {buildDefinition, runDetails} = statement.predicate
    assert.deepEqual(buildDefinition.externalParameters, {
      tags: [image],
      builder: BUILDER,
      buildpacks: ['paketo-buildpacks/nodejs@1.2.3'],
      env: ['BP_NODE_VERSION', 'NODE_ENV'],
      source: {uri: 'https://github.com/example/app', commit: COMMIT},
    })
    const byKind = (kind: string) => buildDefinition.resolvedDependencies.find((d: {annotations?: {kind?: string}}) => d.annotations?.kind === kind)
    assert.deepEqual(byKind('builder').digest, {sha256: 'b'.repeat(64)})
    // The stand-in image has no io.buildpacks.project.metadata label: the host's source stands in.
    assert.deepEqual(byKind('source'), {uri: `git+https://github.com/example/app@${COMMIT}`, name: 'source', digest: {gitCommit: COMMIT}, annotations: {kind: 'source', commit: COMMIT, from: 'host'}})
    assert.deepEqual(runDetails.metadata, {startedOn: '2026-11-30T10:00:00Z', finishedOn: '2026-11-30T10:03:00Z'})
  })

  const broken: [string, unknown, RegExp][] = [
    ['an env entry with a value', {env: ['API_TOKEN=s3cr3t-value']}, /provenance\.env\[0\] holds a value \(NAME=…\); pass the variable's name only/],
    ['a time that is not RFC 3339', {startedOn: 'yesterday'}, /provenance\.startedOn is not an RFC 3339 time/],
    ['a finish before the start', {startedOn: '2026-11-30T10:00:00Z', finishedOn: '2026-11-30T09:00:00Z'}, /provenance\.finishedOn \(2026-11-30T09:00:00Z\) is before startedOn/],
    ['an unknown key', {startedAt: '2026-11-30T10:00:00Z'}, /provenance has unknown key\(s\) "startedAt"/],
    ['a source URL with a password', {source: {uri: 'https://ci:s3cr3t-value@git.example.com/app'}}, /provenance\.source\.uri carries a password/],
    ['a short commit', {source: {uri: 'https://github.com/example/app', commit: 'abc123'}}, /provenance\.source\.commit is not a full git commit id/],
  ]
  for (const [name, provenance, message] of broken) {
    it(`${name}: exit 12, one line, the value never quoted, no signature written`, async () => {
      const repo = `bad-${name.toLowerCase().replace(/\W+/g, '-')}`
      const built = await build(`${registry.host}/${repo}:v1`, cosignConfig, provenance)
      assert.equal(built.code, 12, built.stderr)
      const line = assertOneLineError(built)
      assert.match(line, /^Error: cannot sign: in what pack-ts build resolved, /)
      assert.match(line, message)
      assert.doesNotMatch(built.stdout + built.stderr, /s3cr3t-value/)
      const written = Object.keys(await registrySnapshot(registry)).filter((k) => k.startsWith(`${repo}:`) && /\.(sig|att)$/.test(k))
      assert.deepEqual(written, [])
    })
  }
})
