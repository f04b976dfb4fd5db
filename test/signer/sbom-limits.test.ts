import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/** The SBOM layer is outside input: its size limits are flags, and crossing one is a clear error. */
describe('SBOM size limits in the signer phase', () => {
  const work = mkdtempSync(join(tmpdir(), 'sbom-limits-'))
  let registry: TestRegistry
  let key: TestKey
  let report: string
  let config: string
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'limits')
    const big = `{"bomFormat":"CycloneDX","specVersion":"1.4","components":[${Array.from({length: 40_000}, (_, i) => `{"name":"p${i}","version":"1.0.0"}`).join(',')}]}`
    const sbom = buildSbomLayer([{path: 'layers/sbom/launch/bp/sbom.cdx.json', content: big}])
    const tag = `${registry.host}/limits:v1`
    const image = await pushImage(testClient(), tag, {layers: [Buffer.from('app'), sbom.tar], labels: sbom.labels})
    report = writeReport(work, [tag], image.digest)
    config = writeFile(work, 'cosign.toml', `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\n`)
    assert.ok(big.length > 1024 * 1024 && big.length < 2 * 1024 * 1024)
  })
  after(() => registry.stop())

  it('a document over --sbom-max-document-mib: exit 11 naming the limit', async () => {
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--sbom-max-document-mib', '1'])
    const line = assertOneLineError(result).split('\n').at(-1)!
    assert.equal(result.code, 11, result.stderr)
    assert.match(line, /sbom\.cdx\.json.*maxDocumentBytes|maxDocumentBytes.*sbom\.cdx\.json/)
  })

  it('an uncompressed layer over --sbom-max-uncompressed-mib: exit 11 naming the limit', async () => {
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--sbom-max-uncompressed-mib', '1'])
    assert.equal(result.code, 11, result.stderr)
    assert.match(result.stderr, /maxUncompressedBytes = 1 MiB\); refusing to read further\. If this SBOM is legitimately that large, raise it with --sbom-max-uncompressed-mib/)
  })

  it('within the defaults the same image is attested', async () => {
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout).pushed.filter((p: any) => p.kind === 'attestation').length, 1)
  })
})
