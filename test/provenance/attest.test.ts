import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {buildReleaseSbom, pushReleaseImage} from '../fixtures/release-image.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {runCli, runCosign, runCosign3} from '../helpers/run.js'
import {assertSlsaV1Provenance} from '../helpers/slsa.js'
import {fetchManifest} from '../helpers/snapshot.js'

/**
 * `provenance = true`: the signer phase attests SLSA v1 provenance of the image next to its SBOM,
 * in the same write, and cosign 2.5 and cosign 3.1 verify it with `--type slsaprovenance1`, in both
 * formats, as does our own `verify --attestations`.
 */
const work = mkdtempSync(join(tmpdir(), 'provenance-'))
const trustedRoot = join(work, 'trusted-root.json')
writeFileSync(trustedRoot, JSON.stringify({mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []}))

/**
 * cosign 3.1 offline with a key: no trusted root and no TUF are needed once the transparency log is
 * skipped (our key-signed attestations have no log entry). It reads bundles from the referrers
 * first (--new-bundle-format defaults to true in 3.x) and falls back to the .att tag.
 */
function cosign3VerifyAttestation(pub: string, reference: string, type = 'slsaprovenance1') {
  return runCosign3(['verify-attestation', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', '--type', type, reference])
}

/** The statements cosign printed, one DSSE envelope per line. */
function printedStatements(stdout: string): any[] {
  return stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(Buffer.from(JSON.parse(l).payload, 'base64').toString('utf8')))
}

describe('SLSA v1 provenance attestations', () => {
  let registry: TestRegistry
  let key: TestKey
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'provenance')
  })
  after(() => registry.stop())

  const config = (name: string, extra: string) => writeFile(work, name, `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\nprovenance = true\n${extra}`)

  it('classic: one .att write holds 9 SBOM attestations and the provenance; cosign 2.5, cosign 3.1 and our verify accept --type slsaprovenance1', async () => {
    const image = await pushReleaseImage(testClient(), [`${registry.host}/prov:1.0`, `${registry.host}/prov:latest`], {sbom: buildReleaseSbom()})
    const report = writeReport(work, image.references, image.digest, 'classic-report.toml')
    const result = await runCli(['sign', '--report', report, '--cosign-config', config('classic.toml', ''), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const pushed = JSON.parse(result.stdout).pushed as {kind: string; predicateType?: string}[]
    assert.equal(pushed.filter((p) => p.predicateType === 'https://slsa.dev/provenance/v1').length, 1)
    assert.equal((await fetchManifest(registry, 'prov', `sha256-${image.digest.slice(7)}.att`)).json.layers.length, 10)

    const verified = await runCosign(['verify-attestation', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'slsaprovenance1', `${registry.host}/prov@${image.digest}`])
    assert.equal(verified.code, 0, verified.stderr)
    const [statement] = printedStatements(verified.stdout)
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1')
    assert.equal(statement.subject[0].digest.sha256, image.digest.slice(7))
    const dependencies = statement.predicate.buildDefinition.resolvedDependencies as {annotations: {kind: string}; name?: string}[]
    assert.deepEqual(
      dependencies.filter((d) => d.annotations.kind === 'buildpack').map((d) => d.name),
      ['paketo-buildpacks/ca-certificates', 'paketo-buildpacks/node-engine', 'paketo-buildpacks/npm-install'],
    )
    assert.ok(dependencies.some((d) => d.annotations.kind === 'run-image'))
    assert.ok(dependencies.some((d) => d.annotations.kind === 'source'))
    assert.deepEqual(statement.predicate.buildDefinition.externalParameters.tags, image.references)
    assertSlsaV1Provenance(statement.predicate)

    const verified3 = await cosign3VerifyAttestation(key.pub, `${registry.host}/prov@${image.digest}`)
    assert.equal(verified3.code, 0, `cosign 3.1: ${verified3.stderr}`)
    const statements3 = printedStatements(verified3.stdout)
    assert.deepEqual(statements3.map((s) => s.predicateType), ['https://slsa.dev/provenance/v1'], 'cosign 3.1 prints the provenance alone')
    assert.deepEqual(statements3[0], statement, 'cosign 3.1 reads the same statement from the .att tag')

    const ours = await runCli(['verify', image.references[0]!, '--key', key.pub, '--attestations', '--type', 'slsaprovenance1', '--json'])
    assert.equal(ours.code, 0, ours.stderr)
    const oursVerified = JSON.parse(ours.stdout) as {format: string; predicateType?: string}[]
    assert.deepEqual(oursVerified.map((v) => [v.format, v.predicateType]), [['classic', 'https://slsa.dev/provenance/v1']])

    // A re-run adds nothing: the provenance is recognised like any attestation.
    const again = await runCli(['sign', '--report', report, '--cosign-config', config('classic.toml', ''), '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.equal((await fetchManifest(registry, 'prov', `sha256-${image.digest.slice(7)}.att`)).json.layers.length, 10)
  })

  it('bundle: a referrer that cosign 2.5 (--new-bundle-format), cosign 3.1 and our verify accept with --type slsaprovenance1', async () => {
    const image = await pushReleaseImage(testClient(), [`${registry.host}/prov-bundle:1.0`], {buildpacks: 1})
    const report = writeReport(work, image.references, image.digest, 'bundle-report.toml')
    const result = await runCli(['sign', '--report', report, '--cosign-config', config('bundle.toml', 'format = "bundle"\nexport-sbom = "none"\n')])
    assert.equal(result.code, 0, result.stderr)
    const verified = await runCosign([
      'verify-attestation', '--new-bundle-format', '--trusted-root', trustedRoot, '--key', key.pub,
      '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'slsaprovenance1', `${registry.host}/prov-bundle@${image.digest}`,
    ])
    assert.equal(verified.code, 0, verified.stderr)
    const [statement] = printedStatements(verified.stdout)
    assert.equal(statement.predicateType, 'https://slsa.dev/provenance/v1')
    assertSlsaV1Provenance(statement.predicate)
    // Only the referrer holds it: no .att tag for cosign 3.1 to fall back on.
    await assert.rejects(fetchManifest(registry, 'prov-bundle', `sha256-${image.digest.slice(7)}.att`))

    const reference = `${registry.host}/prov-bundle@${image.digest}`
    const verified3 = await cosign3VerifyAttestation(key.pub, reference)
    assert.equal(verified3.code, 0, `cosign 3.1: ${verified3.stderr}`)
    const statements3 = printedStatements(verified3.stdout)
    assert.deepEqual(statements3.map((s) => s.predicateType), ['https://slsa.dev/provenance/v1'], 'cosign 3.1 prints the provenance alone')
    assert.deepEqual(statements3[0], statement, 'cosign 3.1 reads the same statement from the referrer')
    assert.equal(statements3[0].subject[0].digest.sha256, image.digest.slice(7))
    // The type is checked, not just any attestation accepted.
    const wrongType = await cosign3VerifyAttestation(key.pub, reference, 'spdxjson')
    assert.notEqual(wrongType.code, 0)
    assert.match(wrongType.stderr, /none of the attestations matched the predicate type: spdxjson/)

    const ours = await runCli(['verify', image.references[0]!, '--key', key.pub, '--attestations', '--type', 'slsaprovenance1', '--json'])
    assert.equal(ours.code, 0, ours.stderr)
    const oursVerified = JSON.parse(ours.stdout) as {format: string; predicateType?: string}[]
    assert.deepEqual(oursVerified.map((v) => [v.format, v.predicateType]), [['bundle', 'https://slsa.dev/provenance/v1']])
  })

  it('an image without build labels: a warning, and the phase still completes with a provenance cosign 3.1 accepts', async () => {
    const image = await pushImage(testClient(), `${registry.host}/plain:v1`)
    const report = writeReport(work, [`${registry.host}/plain:v1`], image.digest, 'plain-report.toml')
    const result = await runCli(['sign', '--report', report, '--cosign-config', config('plain.toml', 'export-sbom = "none"\n'), '--json'])
    assert.equal(result.code, 0, result.stderr)
    const document = JSON.parse(result.stdout) as {warnings: string[]; pushed: {predicateType?: string}[]}
    assert.ok(document.warnings.some((w) => /no io\.buildpacks\.build\.metadata label/.test(w)), document.warnings.join('\n'))
    assert.ok(document.pushed.some((p) => p.predicateType === 'https://slsa.dev/provenance/v1'))
    const verified = await cosign3VerifyAttestation(key.pub, `${registry.host}/plain@${image.digest}`)
    assert.equal(verified.code, 0, `cosign 3.1: ${verified.stderr}`)
    const [statement] = printedStatements(verified.stdout)
    assertSlsaV1Provenance(statement.predicate)
    assert.deepEqual(statement.predicate.buildDefinition.resolvedDependencies, [])
  })
})
