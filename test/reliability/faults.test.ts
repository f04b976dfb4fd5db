import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type FaultProxy, startFaultProxy} from '../helpers/fault-proxy.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, freePort, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'

/** Faults between us and a real registry: retried and finished, or a clear error — never a hang or a corrupt manifest. */
const work = mkdtempSync(join(tmpdir(), 'faults-'))

describe('registry faults', () => {
  let registry: TestRegistry
  let key: TestKey
  const client = testClient()
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'faults')
  })
  after(() => registry.stop())

  const outcomes: string[] = []
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`resets and 503s on ~10% of requests (seed ${seed}): signed and verifiable, or a clear partial failure; never a corrupt manifest`, async (t) => {
      const proxy: FaultProxy = await startFaultProxy(registry.host, {resetRate: 0.05, unavailableRate: 0.05, seed})
      const images = []
      let result: Awaited<ReturnType<typeof runCli>>
      try {
        for (let i = 0; i < 6; i++) images.push(await pushImage(client, `${registry.host}/faulty/s${seed}i${i}:v1`))
        const viaProxy = images.map((image) => image.reference.replace(registry.host, proxy.host))
        const started = Date.now()
        result = await runCli(['sign', ...viaProxy, '--key', key.key, '--password-file', key.passwordFile], {timeoutMs: 60_000})
        assert.ok(Date.now() - started < 60_000)
        assert.ok(proxy.stats.resets + proxy.stats.unavailable > 0, `no fault was injected: ${JSON.stringify(proxy.stats)}`)
      } finally {
        await proxy.stop()
      }

      if (result.code !== 0) {
        // Allowed: one Error line counting what was not signed, and one line per cause naming the registry.
        const lines = assertOneLineError(result).split('\n')
        assert.equal(result.code, 9, lines.join('\n'))
        assert.equal(lines.filter((l) => l.startsWith('Error: ')).length, 1, lines.join('\n'))
        assert.match(lines.join('\n'), /^Error: \d of 6 images signed; .*: run the same command again/m)
        assert.match(result.stderr, new RegExp(`^ {2}(not signed|written but not confirmed): .*registry ${proxy.host.replace(/\./g, '\\.')}`, 'm'))
      }

      outcomes.push(result.code === 0 ? 'completed' : 'failed cleanly')
      t.diagnostic(`seed ${seed}: ${outcomes.at(-1)} (${JSON.stringify(proxy.stats)})`)
      for (const image of images) {
        const signedHere = result.code === 0 || new RegExp(`^(Signed|Already signed) .*${image.repository.path}@`, 'm').test(result.stdout)
        const manifest = await fetchManifest(registry, image.repository.path, `sha256-${image.digest.slice(7)}.sig`).catch(() => undefined)
        if (!signedHere && !manifest) continue
        assert.ok(manifest, `${image.reference} reported signed but has no .sig`)
        assert.equal(manifest.json.layers.length, 1, 'exactly one signature layer, no duplicates from retries')
        const verified = await runCosign(['verify', '--key', key.pub, '--insecure-ignore-tlog', '--allow-http-registry', image.reference])
        assert.equal(verified.code, 0, verified.stderr)
      }
    })
  }

  it('most faulty runs complete (retries work)', () => {
    assert.ok(outcomes.filter((o) => o === 'completed').length >= 3, outcomes.join(', '))
  })

  it('a run that failed halfway says what was and was not signed; run again, it completes the rest and adds nothing twice', async () => {
    const images = []
    for (let i = 0; i < 3; i++) images.push(await pushImage(client, `${registry.host}/halfway/i${i}:v1`))
    const failing = images[1]!
    const proxy = await startFaultProxy(registry.host, {alwaysFail: {method: 'PUT', path: new RegExp(`/manifests/sha256-${failing.digest.slice(7)}\\.sig$`)}})
    const viaProxy = images.map((image) => image.reference.replace(registry.host, proxy.host))
    let again: Awaited<ReturnType<typeof runCli>>
    try {
      const first = await runCli(['sign', ...viaProxy, '--key', key.key, '--password-file', key.passwordFile])
      const lines = assertOneLineError(first)
      assert.equal(first.code, 9)
      assert.match(lines, /^Error: 2 of 3 images signed; 1 not signed: run the same command again/m)
      assert.match(first.stderr, /^ {2}not signed: .*HTTP 503.*\(1 image: .*halfway\/i1:v1\)$/m)
      assert.match(first.stdout, /^Signed .*halfway\/i0@/m)
      assert.match(first.stdout, /^Signed .*halfway\/i2@/m)
      proxy.heal()
      again = await runCli(['sign', ...viaProxy, '--key', key.key, '--password-file', key.passwordFile])
    } finally {
      await proxy.stop()
    }

    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /^Already signed .*halfway\/i0@/m)
    assert.match(again.stdout, /^Signed .*halfway\/i1@/m)
    assert.match(again.stdout, /^Already signed .*halfway\/i2@/m)
    for (const image of images) {
      const manifest = await fetchManifest(registry, image.repository.path, `sha256-${image.digest.slice(7)}.sig`)
      assert.equal(manifest.json.layers.length, 1)
    }
  })

  it('a registry slower than --registry-timeout: a clear error naming it, in bounded time, nothing written', async () => {
    const image = await pushImage(client, `${registry.host}/slow:v1`)
    const proxy = await startFaultProxy(registry.host, {slow: {path: /\/manifests\//, delayMs: 30_000}})
    try {
      const before = await registrySnapshot(registry)
      const started = Date.now()
      const result = await runCli(['sign', image.reference.replace(registry.host, proxy.host), '--key', key.key, '--password-file', key.passwordFile, '--registry-timeout', '1'], {
        timeoutMs: 30_000,
      })
      const elapsed = Date.now() - started
      const line = assertOneLineError(result)
      assert.match(line, new RegExp(`registry ${proxy.host.replace(/\./g, '\\.')}: no answer from ${proxy.host.replace(/\./g, '\\.')} within 1s`))
      assert.equal(result.code, 4)
      assert.ok(elapsed < 15_000, `took ${elapsed} ms`)
      assert.deepEqual(await registrySnapshot(registry), before)
    } finally {
      await proxy.stop()
    }
  })

  it('signer phase with the registry down: preflight says so, exit 8, nothing written', async () => {
    const down = `127.0.0.1:${await freePort()}`
    const report = writeReport(work, [`${down}/app:v1`], `sha256:${'d'.repeat(64)}`, 'down-report.toml')
    const config = writeFile(work, 'down-cosign.toml', '[[configs]]\nkey = "faults.key"\npassword = "faults.password"\n')
    const result = await runCli(['sign', '--report', report, '--cosign-config', config])
    const line = assertOneLineError(result).split('\n').at(-1)!
    assert.equal(result.code, 8)
    assert.match(line, new RegExp(`preflight found 2 problem\\(s\\), nothing was written: .*registry ${down.replace(/\./g, '\\.')}: cannot reach .*connection refused`))
  })
})
