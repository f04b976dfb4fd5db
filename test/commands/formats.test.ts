import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {runCli, runCosign} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

/** format = classic | bundle | both, through the commands, checked by cosign 2.5 and our verify. */
const work = mkdtempSync(join(tmpdir(), 'formats-'))
const EMPTY_TRUSTED_ROOT = join(work, 'trusted_root.json')
writeFileSync(
  EMPTY_TRUSTED_ROOT,
  JSON.stringify({mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []}),
)

describe('signature formats through the commands', () => {
  let registry: TestRegistry
  let key: TestKey
  const client = testClient()
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'fmt')
  })
  after(() => registry.stop())

  it('sign --format both: a classic .sig and a bundle referrer; verify reports both formats', async () => {
    const image = await pushImage(client, `${registry.host}/both:v1`)
    const signed = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--format', 'both', '-a', 'team=x', '--json'])
    assert.equal(signed.code, 0, signed.stderr)
    assert.deepEqual(JSON.parse(signed.stdout).map((r: any) => r.format), ['classic', 'bundle'])
    const index = await fetchManifest(registry, 'both', `sha256-${image.digest.slice(7)}`)
    assert.equal(index.json.manifests.length, 1)
    assert.equal(index.json.manifests[0].artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json')
    const verified = await runCli(['verify', image.reference, '--key', key.pub, '-a', 'team=x', '--json'])
    assert.equal(verified.code, 0, verified.stderr)
    assert.deepEqual(JSON.parse(verified.stdout).map((v: any) => v.format).sort(), ['bundle', 'classic'])
    const plain = await runCli(['verify', image.reference, '--key', key.pub, '-a', 'team=x'])
    assert.match(plain.stderr, /Verified 2 signature\(s\) .*\(1 classic, 1 bundle\)/)
    assert.equal((await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', image.reference])).code, 0)
  })

  it('sign --format bundle writes no .sig tag; our verify finds the bundle alone', async () => {
    const image = await pushImage(client, `${registry.host}/bundle-only:v1`)
    const signed = await runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--format', 'bundle'])
    assert.equal(signed.code, 0, signed.stderr)
    assert.match(signed.stdout, /→ .*bundle-only@sha256:[0-9a-f]{64} \(bundle referrer\)/)
    await assert.rejects(fetchManifest(registry, 'bundle-only', `sha256-${image.digest.slice(7)}.sig`))
    const verified = await runCli(['verify', image.reference, '--key', key.pub])
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stderr, /\(0 classic, 1 bundle\)/)
  })

  it('signer phase with format = "bundle": cosign 2.5 verifies the SBOM attestation bundles offline; our verify --attestations too', async () => {
    const sbom = buildSbomLayer()
    const tag = `${registry.host}/phase-bundle:v1`
    const image = await pushImage(client, tag, {layers: [Buffer.from('app'), sbom.tar], labels: sbom.labels})
    const report = writeReport(work, [tag], image.digest, 'bundle-report.toml')
    const config = writeFile(work, 'bundle-cosign.toml', `[[configs]]\nkey = "fmt.key"\npassword = "fmt.password"\nformat = "bundle"\n`)
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const pushed = JSON.parse(result.stdout).pushed
    assert.equal(pushed.filter((p: any) => p.format === 'bundle' && p.kind === 'attestation').length, 3)
    for (const type of ['cyclonedx', 'spdxjson']) {
      const cosign = await runCosign([
        'verify-attestation', '--new-bundle-format', '--trusted-root', EMPTY_TRUSTED_ROOT, '--key', key.pub,
        '--insecure-ignore-tlog', '--allow-http-registry', '--type', type, tag,
      ])
      assert.equal(cosign.code, 0, `${type}: ${cosign.stderr}`)
      const ours = await runCli(['verify', tag, '--key', key.pub, '--attestations', '--type', type, '--json'])
      assert.equal(ours.code, 0, ours.stderr)
      assert.deepEqual(JSON.parse(ours.stdout).map((v: any) => v.format), ['bundle'])
    }
  })

  it('verify --attestations reads classic .att as well, and fails for a type that is not there', async () => {
    const sbom = buildSbomLayer()
    const tag = `${registry.host}/phase-classic:v1`
    const image = await pushImage(client, tag, {layers: [Buffer.from('app2'), sbom.tar], labels: sbom.labels})
    const report = writeReport(work, [tag], image.digest, 'classic-report.toml')
    const config = writeFile(work, 'classic-cosign.toml', `[[configs]]\nkey = "fmt.key"\npassword = "fmt.password"\n`)
    assert.equal((await runCli(['sign', '--report', report, '--cosign-config', config])).code, 0)
    const cdx = await runCli(['verify', tag, '--key', key.pub, '--attestations', '--type', 'cyclonedx', '--json'])
    assert.equal(cdx.code, 0, cdx.stderr)
    assert.deepEqual(JSON.parse(cdx.stdout).map((v: any) => [v.format, v.predicateType]), [['classic', 'https://cyclonedx.org/bom']])
    const all = await runCli(['verify', tag, '--key', key.pub, '--attestations', '--json'])
    assert.equal(JSON.parse(all.stdout).length, 3)
    const missing = await runCli(['verify', tag, '--key', key.pub, '--attestations', '--type', 'slsaprovenance'])
    assert.equal(missing.code, 10)
    assert.match(missing.stderr, /no attestations of type slsaprovenance found/)
  })
})
