import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {verifierFromPem} from '../../src/keys/index.js'
import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {runCli, runCosign} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

/**
 * cosign loses signatures when signers race on one `.sig` tag (read, append, write back). Ours
 * read back after writing and merge until their entry — and every entry they saw — is there.
 */
const SIGNERS = 8
const ROUNDS = 3
const work = mkdtempSync(join(tmpdir(), 'concurrent-'))

describe(`${SIGNERS} concurrent signer processes on one image`, () => {
  let registry: TestRegistry
  const keys: TestKey[] = []
  before(async () => {
    registry = await startRegistry()
    for (let i = 0; i < SIGNERS; i++) keys.push(await generateTestKey(work, `k${i}`))
  })
  after(() => registry.stop())

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: all ${SIGNERS} signatures survive and cosign verifies each`, async () => {
      const image = await pushImage(testClient(), `${registry.host}/race:r${round}`)
      const results = await Promise.all(
        keys.map((key) => runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--quiet'])),
      )
      for (const result of results) assert.equal(result.code, 0, result.stderr)
      const manifest = await fetchManifest(registry, 'race', `sha256-${image.digest.slice(7)}.sig`)
      assert.equal(manifest.json.layers.length, SIGNERS)
      // Each key's signature is there (checked here, cheaply), and cosign reads two of them.
      const payload = await testClient().getBlob(image.repository, manifest.json.layers[0].digest, 1024 * 1024)
      for (const key of keys) {
        const verifier = verifierFromPem(readFileSync(key.pub, 'utf8'), key.pub)
        const mine = (manifest.json.layers as {annotations: Record<string, string>}[]).filter((l) => verifier.verify(payload, Buffer.from(l.annotations['dev.cosignproject.cosign/signature']!, 'base64')))
        assert.equal(mine.length, 1, `${key.key}: ${mine.length} signatures`)
      }

      for (const key of [keys[round % SIGNERS]!, keys[(round + 4) % SIGNERS]!]) {
        const verified = await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', image.reference])
        assert.equal(verified.code, 0, `${key.key}: ${verified.stderr}`)
      }
    })
  }

  it(`bundle format: ${SIGNERS} concurrent processes, every referrer stays in the fallback index and verifies`, async () => {
    const image = await pushImage(testClient(), `${registry.host}/race:bundles`)
    const results = await Promise.all(
      keys.map((key) => runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--format', 'bundle', '--quiet'])),
    )
    for (const result of results) assert.equal(result.code, 0, result.stderr)
    const index = await fetchManifest(registry, 'race', `sha256-${image.digest.slice(7)}`)
    assert.equal(index.json.manifests.length, SIGNERS)
    for (const key of keys.slice(0, 3)) {
      const verified = await runCli(['verify', image.reference, '--key', key.pub])
      assert.equal(verified.code, 0, `${key.key}: ${verified.stderr}`)
    }
  })

  it(`.att: ${SIGNERS} concurrent signer phases attesting one image's SBOM keep all ${SIGNERS * 3} attestations`, async () => {
    const sbom = buildSbomLayer()
    const tag = `${registry.host}/race:attested`
    const image = await pushImage(testClient(), tag, {layers: [Buffer.from('app'), sbom.tar], labels: sbom.labels})
    const report = writeReport(work, [tag], image.digest, 'race-report.toml')
    const results = await Promise.all(
      keys.map((key, i) => {
        const config = writeFile(work, `race-cosign-${i}.toml`, `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\n`)
        return runCli(['sign', '--report', report, '--cosign-config', config, '--quiet'])
      }),
    )
    for (const result of results) assert.equal(result.code, 0, result.stderr)
    const manifest = await fetchManifest(registry, 'race', `sha256-${image.digest.slice(7)}.att`)
    assert.equal(manifest.json.layers.length, SIGNERS * 3)
    for (const key of keys.slice(0, 3)) {
      const verified = await runCli(['verify', tag, '--key', key.pub, '--attestations', '--json'])
      assert.equal(verified.code, 0, `${key.key}: ${verified.stderr}`)
      assert.equal(JSON.parse(verified.stdout).length, 3)
    }
  })

  it('ours next to cosign: every one of our signatures survives', async () => {
    const image = await pushImage(testClient(), `${registry.host}/race:mixed`)
    const ourKeys = keys.slice(0, 4)
    const cosignKeys = keys.slice(4, 6)
    const runs = [
      ...ourKeys.map((key) => runCli(['sign', image.reference, '--key', key.key, '--password-file', key.passwordFile, '--quiet'])),
      ...cosignKeys.map((key) =>
        runCosign(['sign', '--key', key.key, '--tlog-upload=false', '-y', `${registry.host}/race@${image.digest}`], {env: {COSIGN_PASSWORD: key.password}}),
      ),
    ]
    const results = await Promise.all(runs)
    for (const result of results.slice(0, ourKeys.length)) assert.equal(result.code, 0, result.stderr)
    // cosign itself may trip over distribution's transient blob-link race under contention; that
    // is cosign's failure to write, not a signature we lost. Anything else from it is a failure.
    for (const result of results.slice(ourKeys.length)) {
      if (result.code !== 0) assert.match(result.stderr, /MANIFEST_BLOB_UNKNOWN|DIGEST_INVALID/, result.stderr)
    }

    for (const key of ourKeys) {
      const verified = await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', image.reference])
      assert.equal(verified.code, 0, `${key.key}: ${verified.stderr}`)
    }
  })
})
