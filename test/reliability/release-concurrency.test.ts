import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parseEnvelope, verifiedPayload} from '../../src/formats/dsse.js'
import {verifierFromPem} from '../../src/keys/index.js'
import {mapLimit} from '../../src/util/map-limit.js'
import {releaseDocuments} from '../fixtures/release-image.js'
import {SAMPLE_SBOM_ENTRIES, buildSbomLayer} from '../fixtures/sbom-layer.js'
import {type TarEntryInput} from '../fixtures/tar.js'
import {startFaultProxy} from '../helpers/fault-proxy.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {type RunResult, assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'

/**
 * A release as CI runs it: several signer phases (or `sign` runs) over the same images at once,
 * each writing the same cosign tags and referrers index. Whatever the interleaving, the registry
 * ends with every signer's entries exactly once — no lost entry, no duplicate of an entry one key
 * already made — and a release that failed halfway re-runs to the same clean state.
 */
const work = mkdtempSync(join(tmpdir(), 'release-concurrency-'))
const client = testClient()

/** 8 phases × 2 keys each. */
const PHASES = 8
const KEYS_PER_PHASE = 2
/** 3 buildpacks × CycloneDX, SPDX, Syft. */
const DOCUMENTS = releaseDocuments()

const sigTag = (image: PushedImage) => `sha256-${image.digest.slice(7)}.sig`
const attTag = (image: PushedImage) => `sha256-${image.digest.slice(7)}.att`
const referrersTag = (image: PushedImage) => `sha256-${image.digest.slice(7)}`

/** A layer entry, as a verifier tells entries apart: digest, media type, annotations. */
function identity(layer: {digest: string; mediaType: string; annotations?: Record<string, string>}): string {
  return JSON.stringify([layer.digest, layer.mediaType, Object.entries(layer.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))])
}

function assertNoDuplicates(layers: any[], where: string): void {
  const ids = layers.map(identity)
  assert.equal(new Set(ids).size, ids.length, `${where}: ${ids.length - new Set(ids).size} duplicate layer entries`)
}

function assertAllSucceeded(results: RunResult[], what: string): void {
  const failed = results.map((r, i) => ({...r, i})).filter((r) => r.code !== 0)
  assert.equal(failed.length, 0, `${what}: ${failed.map((r) => `#${r.i} exit ${r.code}: ${r.stderr.trim()}`).join(' | ')}`)
}

/** One [[configs]] per key, every default kept (export-sbom = attestation, format = classic) unless `extra` says otherwise. */
function cosignToml(name: string, keys: readonly TestKey[], extra = ''): string {
  return writeFile(work, name, keys.map((k) => `[[configs]]\nkey = "${k.key}"\npassword = "${k.passwordFile}"\n${extra}`).join('\n'))
}

/** An app image with a CNB SBOM layer, tagged at every one of `tags` (same manifest, same digest). */
async function pushSbomImage(tags: string[], entries: readonly TarEntryInput[] = DOCUMENTS): Promise<PushedImage> {
  const sbom = buildSbomLayer(entries)
  const app = Buffer.from(`app ${tags[0]} ${Date.now()} ${Math.random()}`)
  const pushed: PushedImage[] = []
  for (const tag of tags) pushed.push(await pushImage(client, tag, {layers: [app, sbom.tar], labels: sbom.labels}))
  for (const p of pushed) assert.equal(p.digest, pushed[0]!.digest, 'every tag holds the same image')
  return pushed[0]!
}

describe('release concurrency: concurrent signers leave every entry exactly once', () => {
  let registry: TestRegistry
  let keys: TestKey[] = []
  before(async () => {
    registry = await startRegistry()
    // Each key costs a process and ~0.8 s of CPU (scrypt N=65536): all at once.
    keys = await Promise.all(Array.from({length: PHASES * KEYS_PER_PHASE}, (_, i) => generateTestKey(work, `rk${i}`)))
  })
  after(() => registry.stop())

  it(`${PHASES} concurrent signer phases on one image, ${KEYS_PER_PHASE} keys and ${DOCUMENTS.length} SBOM documents each: .sig has ${PHASES * KEYS_PER_PHASE} layers, .att ${PHASES * KEYS_PER_PHASE * DOCUMENTS.length}, every key verifies`, {timeout: 240_000}, async (t) => {
    const started = Date.now()
    assert.equal(DOCUMENTS.length, 9)
    assert.equal(new Set(DOCUMENTS.map((d) => String(d.content))).size, 9, 'the 9 documents are distinct')
    const tags = [`${registry.host}/release/app:1.4.2`, `${registry.host}/release/app:latest`]
    const image = await pushSbomImage(tags)
    const report = writeReport(work, tags, image.digest, 'phases-report.toml')
    const phases = Array.from({length: PHASES}, (_, i) => keys.slice(i * KEYS_PER_PHASE, (i + 1) * KEYS_PER_PHASE))
    const results = await Promise.all(
      phases.map((phaseKeys, i) => runCli(['sign', '--report', report, '--cosign-config', cosignToml(`phase-${i}.toml`, phaseKeys), '--quiet'], {timeoutMs: 180_000})),
    )
    assertAllSucceeded(results, 'signer phases')
    t.diagnostic(`${PHASES} signer phases: ${Date.now() - started} ms`)

    const sig = await fetchManifest(registry, 'release/app', sigTag(image))
    const att = await fetchManifest(registry, 'release/app', attTag(image))
    assertNoDuplicates(sig.json.layers, '.sig')
    assertNoDuplicates(att.json.layers, '.att')
    assert.equal(sig.json.layers.length, PHASES * KEYS_PER_PHASE, `.sig: ${sig.json.layers.length} layers`)
    assert.equal(att.json.layers.length, PHASES * KEYS_PER_PHASE * DOCUMENTS.length, `.att: ${att.json.layers.length} layers`)

    // Every key's entries, checked in this process (cheaper than 32 CLI runs): exactly one
    // signature layer verifies with each key, and exactly 9 attestations — one statement per
    // document, 3 of each type.
    const repository = image.repository
    const payload = await client.getBlob(repository, sig.json.layers[0].digest, 1024 * 1024)
    const envelopes = await mapLimit(att.json.layers as {digest: string}[], 8, async (layer) => parseEnvelope(await client.getBlob(repository, layer.digest, 1024 * 1024)))
    const problems: string[] = []
    for (const key of keys) {
      const verifier = verifierFromPem(readFileSync(key.pub, 'utf8'), key.pub)
      const signatures = (sig.json.layers as {digest: string; annotations: Record<string, string>}[]).filter(
        (layer) => layer.digest === sig.json.layers[0].digest && verifier.verify(payload, Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64')),
      )
      const statements = envelopes.flatMap((envelope) => {
        const verified = envelope && verifiedPayload(envelope, verifier)
        return verified ? [JSON.parse(verified.toString('utf8')) as {predicateType: string}] : []
      })
      const types = statements.map((st) => st.predicateType).sort()
      const expected = ['https://cyclonedx.org/bom', 'https://spdx.dev/Document', 'https://syft.dev/bom'].flatMap((type) => [type, type, type]).sort()
      const distinct = new Set(statements.map((st) => JSON.stringify(st))).size
      if (signatures.length !== 1 || JSON.stringify(types) !== JSON.stringify(expected) || distinct !== DOCUMENTS.length) {
        problems.push(`${key.pub}: ${signatures.length} signature(s), ${statements.length} attestations, ${distinct} distinct statements`)
      }
    }

    assert.deepEqual(problems, [])
    // Our verify, as a user runs it, for a key of the first phase and one of the last.
    for (const key of [keys[0]!, keys.at(-1)!]) {
      const attested = await runCli(['verify', tags[1]!, '--key', key.pub, '--attestations', '--json'])
      assert.equal(attested.code, 0, attested.stderr)
      assert.equal((JSON.parse(attested.stdout) as unknown[]).length, DOCUMENTS.length)
    }

    t.diagnostic(`phases and the checks of ${keys.length} keys: ${Date.now() - started} ms`)

    // cosign 2.5 reads the same tags: a signature and an attestation of two keys from different phases.
    for (const key of [keys[0]!, keys.at(-1)!]) {
      const cosign = await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', tags[1]!])
      assert.equal(cosign.code, 0, `${key.pub}: ${cosign.stderr}`)
      const attestation = await runCosign(['verify-attestation', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', 'spdxjson', tags[0]!])
      assert.equal(attestation.code, 0, `${key.pub}: ${attestation.stderr}`)
    }
  })

  it('two concurrent `sign` runs with one key over the same 30 images: every .sig ends with exactly one layer', {timeout: 120_000}, async () => {
    const images: PushedImage[] = []
    for (let i = 0; i < 30; i++) images.push(await pushImage(client, `${registry.host}/twice/i${i}:v1`))
    const key = keys[0]!
    const references = images.map((image) => image.reference)
    const results = await Promise.all(
      [0, 1].map(() => runCli(['sign', ...references, '--key', key.key, '--password-file', key.passwordFile, '--quiet'], {timeoutMs: 90_000})),
    )
    assertAllSucceeded(results, 'sign runs')
    // cosign 2.5 verifies them (it would with a duplicate too: the count below is what says "once").
    for (const image of [images[0]!, images[14]!, images[29]!]) {
      const verified = await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', image.reference])
      assert.equal(verified.code, 0, `${image.reference}: ${verified.stderr}`)
    }

    const counts = await Promise.all(images.map(async (image) => (await fetchManifest(registry, image.repository.path, sigTag(image))).json.layers.length as number))
    const wrong = counts.map((n, i) => ({n, i})).filter(({n}) => n !== 1)
    assert.equal(
      wrong.length,
      0,
      `${wrong.length} of ${images.length} .sig manifests do not hold exactly 1 layer: ${wrong.map(({n, i}) => `twice/i${i}: ${n}`).join(', ')}`,
    )
  })

  for (const round of [1, 2]) {
    it(`round ${round}: three concurrent signer phases with one key and format = "both": .sig 1 layer, .att 3, fallback index 4 referrers`, {timeout: 120_000}, async () => {
      const tag = `${registry.host}/both-race/r${round}:v1`
      const image = await pushSbomImage([tag], SAMPLE_SBOM_ENTRIES)
      const report = writeReport(work, [tag], image.digest, `both-report-${round}.toml`)
      const config = cosignToml(`both-${round}.toml`, [keys[1]!], 'format = "both"\n')
      const results = await Promise.all([0, 1, 2].map(() => runCli(['sign', '--report', report, '--cosign-config', config, '--quiet'], {timeoutMs: 90_000})))
      assertAllSucceeded(results, 'signer phases')

      const repository = `both-race/r${round}`
      const sig = await fetchManifest(registry, repository, sigTag(image))
      const att = await fetchManifest(registry, repository, attTag(image))
      const index = await fetchManifest(registry, repository, referrersTag(image))
      const counts = {sig: sig.json.layers.length, att: att.json.layers.length, referrers: index.json.manifests.length}
      assert.deepEqual(counts, {sig: 1, att: 3, referrers: 4}, `round ${round}: ${JSON.stringify(counts)}`)
      assert.equal(new Set(index.json.manifests.map((m: any) => m.digest)).size, 4, 'distinct referrers')
      for (const m of index.json.manifests) assert.equal(m.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json')

      // What a user's verify sees: one signature and three attestations in each format.
      const verified = await runCli(['verify', tag, '--key', keys[1]!.pub, '--json'])
      assert.equal(verified.code, 0, verified.stderr)
      assert.deepEqual(JSON.parse(verified.stdout).map((v: any) => v.format).sort(), ['bundle', 'classic'])
      const attested = await runCli(['verify', tag, '--key', keys[1]!.pub, '--attestations', '--json'])
      assert.equal(attested.code, 0, attested.stderr)
      assert.deepEqual(JSON.parse(attested.stdout).map((v: any) => v.format).sort(), ['bundle', 'bundle', 'bundle', 'classic', 'classic', 'classic'])
      const cosign = await runCosign(['verify', '--key', keys[1]!.pub, '--insecure-ignore-tlog', '--allow-http-registry', tag])
      assert.equal(cosign.code, 0, cosign.stderr)
    })
  }

  it('a release that fails halfway (.att writes refused) re-runs clean: 2 signatures, 18 attestations, nothing twice; a third run changes nothing', {timeout: 180_000}, async (t) => {
    const repository = 'halfway/release'
    const image = await pushSbomImage([`${registry.host}/${repository}:2.0.0`, `${registry.host}/${repository}:latest`])
    const proxy = await startFaultProxy(registry.host, {alwaysFail: {method: 'PUT', path: /\/manifests\/sha256-[0-9a-f]{64}\.att$/}})
    const releaseKeys = [keys[2]!, keys[3]!]
    const tags = [`${proxy.host}/${repository}:2.0.0`, `${proxy.host}/${repository}:latest`]
    const report = writeReport(work, tags, image.digest, 'halfway-report.toml')
    const config = cosignToml('halfway.toml', releaseKeys)
    const sign = () => runCli(['sign', '--report', report, '--cosign-config', config, '--quiet'], {timeoutMs: 120_000})
    try {
      const first = await sign()
      const line = assertOneLineError(first)
      assert.equal(first.code, 9, line)
      t.diagnostic(`first run: exit ${first.code}: ${line.slice(0, 400)}`)
      assert.match(line, /^Error: .*failed: .*\.att.*HTTP 503/)
      assert.ok(proxy.stats.unavailable > 0, 'the .att writes were refused')
      // No attestation went in; the signatures may have (each once, never more than the 2 keys made).
      await assert.rejects(fetchManifest(registry, repository, attTag(image)), /→ 404/)
      const sigAfterFailure = await fetchManifest(registry, repository, sigTag(image)).catch(() => undefined)
      if (sigAfterFailure) {
        assertNoDuplicates(sigAfterFailure.json.layers, '.sig after the failed run')
        assert.ok(sigAfterFailure.json.layers.length <= 2, `.sig after the failed run: ${sigAfterFailure.json.layers.length} layers`)
      }

      proxy.heal()
      const second = await sign()
      assert.equal(second.code, 0, second.stderr)
      const sig = await fetchManifest(registry, repository, sigTag(image))
      const att = await fetchManifest(registry, repository, attTag(image))
      assertNoDuplicates(sig.json.layers, '.sig')
      assertNoDuplicates(att.json.layers, '.att')
      assert.deepEqual({sig: sig.json.layers.length, att: att.json.layers.length}, {sig: 2, att: 2 * DOCUMENTS.length})
      for (const key of releaseKeys) {
        const verified = await runCli(['verify', tags[0]!, '--key', key.pub, '--attestations', '--json'])
        assert.equal(verified.code, 0, verified.stderr)
        assert.equal(JSON.parse(verified.stdout).length, DOCUMENTS.length)
      }

      const cosign = await runCosign(['verify', '--key', releaseKeys[1]!.pub, '--insecure-ignore-tlog', '--allow-http-registry', tags[1]!])
      assert.equal(cosign.code, 0, cosign.stderr)

      const before = await registrySnapshot(registry)
      const third = await sign()
      assert.equal(third.code, 0, third.stderr)
      assert.deepEqual(await registrySnapshot(registry), before, 'a third run writes nothing')
    } finally {
      await proxy.stop()
    }
  })
})
