import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {releaseDocuments} from '../fixtures/release-image.js'
import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {type FaultProxy, startFaultProxy} from '../helpers/fault-proxy.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {runCli, runCosign} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

/**
 * One release, one write per tag: every signature and attestation a run adds to a cosign tag goes
 * in with one read, one manifest PUT and one read-back, counted at a proxy in front of the
 * registry; a re-run writes no manifest at all.
 */
const work = mkdtempSync(join(tmpdir(), 'publish-cycle-'))

describe('the signer phase writes each cosign tag once', () => {
  let registry: TestRegistry
  let proxy: FaultProxy
  const keys: TestKey[] = []
  before(async () => {
    registry = await startRegistry()
    proxy = await startFaultProxy(registry.host, {})
    keys.push(...(await Promise.all([generateTestKey(work, 'one'), generateTestKey(work, 'two')])))
  })
  after(async () => {
    await proxy.stop()
    await registry.stop()
  })

  /** Requests at the proxy since `from` whose `METHOD /path` matches. */
  const count = (from: number, pattern: RegExp) => proxy.log.slice(from).filter((line) => pattern.test(line)).length

  it('2 keys × 9 SBOM documents: one cycle of .sig and one of .att; a re-run writes no manifest', async () => {
    const sbom = buildSbomLayer(releaseDocuments())
    const image = await pushImage(testClient(), `${registry.host}/release:v1`, {layers: [Buffer.from(`app ${Math.random()}`), sbom.tar], labels: sbom.labels})
    const tags = [`${proxy.host}/release:v1`]
    const report = writeReport(work, tags, image.digest)
    const config = writeFile(work, 'cosign.toml', keys.map((k) => `[[configs]]\nkey = "${k.key}"\npassword = "${k.passwordFile}"\n`).join('\n'))
    const hex = image.digest.slice(7)
    const sig = new RegExp(`/manifests/sha256-${hex}\\.sig$`)
    const att = new RegExp(`/manifests/sha256-${hex}\\.att$`)

    const first = proxy.log.length
    const signed = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(signed.code, 0, signed.stderr)
    assert.equal(JSON.parse(signed.stdout).pushed.length, 2 + 18)
    assert.equal(count(first, new RegExp(`^PUT .*${sig.source}`)), 1, 'one PUT of .sig')
    assert.equal(count(first, new RegExp(`^PUT .*${att.source}`)), 1, 'one PUT of .att')
    assert.equal(count(first, new RegExp(`^GET .*${att.source}`)), 2, `one read and one read-back of .att: ${proxy.log.slice(first).join(', ')}`)
    assert.equal((await fetchManifest(registry, 'release', `sha256-${hex}.sig`)).json.layers.length, 2)
    assert.equal((await fetchManifest(registry, 'release', `sha256-${hex}.att`)).json.layers.length, 18)
    const verified = await runCosign(['verify-attestation', '--key', keys[1]!.pub, '--type', 'spdxjson', '--insecure-ignore-tlog', '--allow-http-registry', `${registry.host}/release@${image.digest}`])
    assert.equal(verified.code, 0, verified.stderr)

    const again = proxy.log.length
    const rerun = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(rerun.code, 0, rerun.stderr)
    assert.ok(JSON.parse(rerun.stdout).pushed.every((p: {appended: boolean}) => !p.appended), rerun.stdout)
    assert.equal(count(again, /^PUT .*\/manifests\//), 0, 'a re-run writes no manifest')
    assert.equal(count(again, new RegExp(`^GET .*${att.source}`)), 1, 'one read of .att')
  })

  it('sign IMAGE...: two tags of one digest and --format both write .sig once and the referrers index once', async () => {
    const image = await pushImage(testClient(), `${registry.host}/direct:a`)
    await testClient().putManifest(image.repository, 'b', (await testClient().getManifest(image.repository, 'a')).bytes, image.descriptor.mediaType)
    const hex = image.digest.slice(7)
    const from = proxy.log.length
    const result = await runCli(['sign', `${proxy.host}/direct:a`, `${proxy.host}/direct:b`, '--key', keys[0]!.key, '--password-file', keys[0]!.passwordFile, '--format', 'both', '--json'])
    assert.equal(result.code, 0, result.stderr)
    const signed = JSON.parse(result.stdout) as {image: string; format: string}[]
    assert.deepEqual(signed.map((s) => s.format).sort(), ['bundle', 'bundle', 'classic', 'classic'])
    assert.equal(count(from, new RegExp(`^PUT .*/manifests/sha256-${hex}\\.sig$`)), 1)
    assert.equal(count(from, new RegExp(`^PUT .*/manifests/sha256-${hex}$`)), 1, 'one update of the referrers index')
    assert.equal(count(from, /^PUT .*\/manifests\/sha256:/), 1, 'one referrer manifest')
    assert.equal((await fetchManifest(registry, 'direct', `sha256-${hex}.sig`)).json.layers.length, 1)
    assert.equal((await fetchManifest(registry, 'direct', `sha256-${hex}`)).json.manifests.length, 1)
  })
})
