import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {constants, tmpdir} from 'node:os'
import {mkdtempSync} from 'node:fs'
import {type AddressInfo} from 'node:net'
import {createServer, request} from 'node:http'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {startFaultProxy} from '../helpers/fault-proxy.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {cliBin} from '../helpers/paths.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {type RunResult, assertOneLineError, runCli} from '../helpers/run.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'

/**
 * How a `sign` run ends when it cannot do everything: usage mistakes, images that fail or cannot
 * be confirmed, Ctrl-C. Each asserts what the user sees (lines, exit code, --json) and what the
 * registry holds, and that running again finishes the job without duplicates.
 */
const work = mkdtempSync(join(tmpdir(), 'sign-run-'))

/** Our CLI as a child whose stdout can be watched while it runs, and which can be signalled. */
function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cliBin, ...args], {env: {...process.env, CI: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  const waiters: {pattern: RegExp; resolve: () => void}[] = []
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
    for (const waiter of waiters.filter((w) => w.pattern.test(stdout))) waiter.resolve()
  })
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  // As a shell reports it: 128 + the signal's number for a process the signal ended.
  const done = new Promise<RunResult & {endedAt: number}>((resolve) =>
    child.on('close', (code, signal) => resolve({code: code ?? 128 + (signal ? constants.signals[signal] : 0), stdout, stderr, endedAt: Date.now()})),
  )
  const stdoutMatches = (pattern: RegExp) => new Promise<void>((resolve) => (pattern.test(stdout) ? resolve() : waiters.push({pattern, resolve})))
  const stderrMatches = async (pattern: RegExp) => {
    while (!pattern.test(stderr)) await new Promise((resolve) => setTimeout(resolve, 20))
  }

  return {child, done, stdoutMatches, stderrMatches}
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

const lines = (text: string, pattern: RegExp) => text.split('\n').filter((line) => pattern.test(line))

describe('sign: partial runs, interrupts and usage', () => {
  let registry: TestRegistry
  let key: TestKey
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'run')
  })
  after(() => registry.stop())

  const keyFlags = () => ['--key', key.key, '--password-file', key.passwordFile]
  const push = (name: string) => pushImage(testClient(), `${registry.host}/${name}`)
  const sigLayers = async (image: PushedImage) => (await fetchManifest(registry, image.repository.path, `sha256-${image.digest.slice(7)}.sig`)).json.layers.length

  it('sign IMAGE with neither --key nor --keyless: a usage error naming both, exit 2', async () => {
    const result = await runCli(['sign', `${registry.host}/nothing:v1`])
    assert.equal(result.code, 2)
    const message = assertOneLineError(result)
    assert.match(message, /^Error: .*--key FILE.*--keyless/)
    assert.match(message, /neither --key nor --keyless was given/)
  })

  it('some images fail, some cannot be confirmed: Signed lines for the rest, one line per cause, exit 9, --json statuses; a re-run finishes', async () => {
    /** 4 images that sign, 3 whose .sig write is refused, 2 whose .sig cannot be read back once written. */
    const scenario = async (prefix: string) => ({
      ok: await Promise.all([1, 2, 3, 4].map((i) => push(`${prefix}/ok/app${i}:v1`))),
      bad: await Promise.all([1, 2, 3].map((i) => push(`${prefix}/bad/app${i}:v1`))),
      unsure: await Promise.all([1, 2].map((i) => push(`${prefix}/unsure/app${i}:v1`))),
    })
    const [text, json] = [await scenario('text'), await scenario('json')]
    const proxy = await startFaultProxy(registry.host, {
      alwaysFail: {method: 'PUT', path: /\/bad\/app\d\/manifests\/sha256-[0-9a-f]{64}\.sig$/},
      failAfterWrite: /\/unsure\/app\d\/manifests\/sha256-[0-9a-f]{64}\.sig$/,
    })
    const namesOf = (set: typeof text) => [...set.ok, ...set.bad, ...set.unsure].map((image) => `${proxy.host}/${image.repository.path}:v1`)
    try {
      const result = await runCli(['sign', ...namesOf(text), ...keyFlags()])
      assert.equal(result.code, 9, result.stderr)
      assert.equal(lines(result.stdout, /^Signed /).length, 4, result.stdout)
      for (const image of text.ok) assert.match(result.stdout, new RegExp(`^Signed ${proxy.host}/${image.repository.path}@`, 'm'))
      const errorLines = lines(result.stderr, /^Error: /)
      assert.equal(errorLines.length, 1, result.stderr)
      assert.match(errorLines[0]!, /^Error: 4 of 9 images signed; 3 not signed, 2 written but not confirmed: run the same command again/)
      // One line per cause, with a count and the first images: not one per image.
      const notSigned = lines(result.stderr, /^ {2}not signed: /)
      assert.equal(notSigned.length, 1, result.stderr)
      assert.match(notSigned[0]!, /HTTP 503.*\(3 images: .*bad\/app1:v1/)
      const unconfirmed = lines(result.stderr, /^ {2}written but not confirmed: /)
      assert.equal(unconfirmed.length, 1, result.stderr)
      assert.match(unconfirmed[0]!, /\(2 images: /)
      assert.ok(result.stderr.length < 2000, `stderr stays short: ${result.stderr.length} bytes`)
      // The unconfirmed ones were written: read straight from the registry, they are there.
      for (const image of text.unsure) assert.equal(await sigLayers(image), 1)

      const document = await runCli(['sign', ...namesOf(json), ...keyFlags(), '--json'])
      assert.equal(document.code, 9)
      const statuses = (JSON.parse(document.stdout).error.details as {status: string}[]).map((d) => d.status)
      assert.deepEqual(statuses, ['signed', 'signed', 'signed', 'signed', 'failed', 'failed', 'failed', 'unconfirmed', 'unconfirmed'])

      proxy.heal()
      const rerun = await runCli(['sign', ...namesOf(text), ...keyFlags()])
      assert.equal(rerun.code, 0, rerun.stderr)
      assert.equal(lines(rerun.stdout, /^Signed /).length, 3, rerun.stdout)
      assert.equal(lines(rerun.stdout, /^Already signed /).length, 6, rerun.stdout)
      for (const image of [...text.ok, ...text.bad, ...text.unsure]) assert.equal(await sigLayers(image), 1)
    } finally {
      await proxy.stop()
    }
  })

  it('Ctrl-C: stops new writes, prints what was signed and what was not, exits 130; a re-run completes with no duplicates', async () => {
    const images = await Promise.all(Array.from({length: 30}, (_, i) => push(`interrupted/app${i}:v1`)))
    const proxy = await startFaultProxy(registry.host, {slow: {path: /manifests\/sha256-[0-9a-f]{64}\.sig$/, delayMs: 150}})
    try {
      const names = images.map((image) => `${proxy.host}/${image.repository.path}:v1`)
      const run = startCli(['sign', ...names, ...keyFlags(), '--concurrency', '2'])
      await run.stdoutMatches(/^Signed /m)
      run.child.kill('SIGINT')
      const sentAt = Date.now()
      const result = await run.done
      assert.equal(result.code, 130, result.stderr)
      assert.ok(result.endedAt - sentAt < 8000, `ended ${result.endedAt - sentAt} ms after Ctrl-C`)
      const signed = lines(result.stdout, /^Signed /).length
      assert.ok(signed >= 1 && signed < 30, `${signed} signed before the interrupt`)
      assert.match(result.stderr, /^Interrupted: no new writes/m)
      assert.match(result.stderr, new RegExp(`^Error: interrupted: ${signed} of 30 images signed; .*not started`, 'm'))
      assert.doesNotMatch(result.stderr, /\n\s+at /)

      proxy.heal()
      const rerun = await runCli(['sign', ...names, ...keyFlags()])
      assert.equal(rerun.code, 0, rerun.stderr)
      assert.ok(lines(rerun.stdout, /^Already signed /).length >= signed, rerun.stdout)
      for (const image of images) assert.equal(await sigLayers(image), 1)
    } finally {
      await proxy.stop()
    }
  })

  it('Ctrl-C with --json: the document lists each image\'s status; SIGTERM exits 143; a second Ctrl-C exits at once', async () => {
    const images = await Promise.all(Array.from({length: 12}, (_, i) => push(`json-interrupted/app${i}:v1`)))
    const proxy = await startFaultProxy(registry.host, {slow: {path: /manifests\/sha256-[0-9a-f]{64}\.sig$/, delayMs: 400}})
    try {
      const names = images.map((image) => `${proxy.host}/${image.repository.path}:v1`)
      const json = startCli(['sign', ...names, ...keyFlags(), '--concurrency', '1', '--json'])
      // Once the first image's .sig is being written, the run is under way (and listening).
      await until(() => proxy.log.some((line) => /\.sig$/.test(line)))
      await new Promise((resolve) => setTimeout(resolve, 1000))
      json.child.kill('SIGTERM')
      const result = await json.done
      assert.equal(result.code, 143, result.stderr)
      const document = JSON.parse(result.stdout) as {error: {code: string; details: {status: string}[]}}
      assert.equal(document.error.code, 'TERMINATED')
      assert.equal(document.error.details.length, 12)
      assert.ok(document.error.details.some((d) => d.status === 'not-started'), result.stdout)
    } finally {
      await proxy.stop()
    }

    // A write that hangs: the first Ctrl-C waits for it, the second does not.
    const image = await push('hanging/app:v1')
    const hanging = await startFaultProxy(registry.host, {slow: {path: /manifests\/sha256-[0-9a-f]{64}\.sig$/, delayMs: 4000}})
    try {
      const twice = startCli(['sign', `${hanging.host}/${image.repository.path}:v1`, ...keyFlags()])
      await until(() => hanging.log.some((line) => /\.sig$/.test(line)))
      twice.child.kill('SIGINT')
      await new Promise((resolve) => setTimeout(resolve, 300))
      twice.child.kill('SIGINT')
      const sentAt = Date.now()
      const stopped = await twice.done
      assert.equal(stopped.code, 130, stopped.stderr)
      assert.ok(stopped.endedAt - sentAt < 1000, `ended ${stopped.endedAt - sentAt} ms after the second Ctrl-C`)
      assert.match(stopped.stderr, /SIGINT again: stopped at once/)
    } finally {
      await hanging.stop()
    }
  })

  it('signer phase: Ctrl-C during preflight writes nothing and exits 130 (not listr2\'s 127)', async () => {
    const sbom = buildSbomLayer()
    const image = await pushImage(testClient(), `${registry.host}/phase-interrupted:v1`, {layers: [Buffer.from('app'), sbom.tar], labels: sbom.labels})
    const proxy = await startFaultProxy(registry.host, {slow: {path: /^/, delayMs: 700}})
    try {
      const report = writeReport(work, [`${proxy.host}/phase-interrupted:v1`], image.digest, 'interrupted-report.toml')
      const config = writeFile(work, 'interrupted-cosign.toml', `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\n`)
      const before = await registrySnapshot(registry)
      const run = startCli(['sign', '--report', report, '--cosign-config', config])
      await run.stderrMatches(/❯ Preflight/)
      run.child.kill('SIGINT')
      const result = await run.done
      assert.equal(result.code, 130, result.stderr)
      assert.match(result.stderr, /^Error: .*interrupted/m)
      assert.deepEqual(await registrySnapshot(registry), before)
    } finally {
      await proxy.stop()
    }
  })

  it('signer phase: a write that fails after others succeeded is a partial failure (exit 9) whose --json names what was pushed', async () => {
    const sbom = buildSbomLayer()
    const image = await pushImage(testClient(), `${registry.host}/phase-partial:v1`, {layers: [Buffer.from('app'), sbom.tar], labels: sbom.labels})
    const proxy = await startFaultProxy(registry.host, {alwaysFail: {method: 'PUT', path: /\/manifests\/sha256-[0-9a-f]{64}$/}})
    try {
      const report = writeReport(work, [`${proxy.host}/phase-partial:v1`], image.digest, 'partial-report.toml')
      const config = writeFile(work, 'partial-cosign.toml', `[[configs]]\nkey = "${key.key}"\npassword = "${key.passwordFile}"\nformat = "both"\n`)
      const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
      assert.equal(result.code, 9, result.stderr)
      const error = JSON.parse(result.stdout).error as {code: string; details: {pushed: {kind: string; format: string}[]; failed: string[]}}
      assert.equal(error.code, 'SIGNING_INCOMPLETE')
      assert.deepEqual(error.details.pushed.map((p) => `${p.kind}/${p.format}`).sort(), ['attestation/classic', 'attestation/classic', 'attestation/classic', 'signature/classic'])
      assert.equal(error.details.failed.length, 1)
      assert.match(error.details.failed[0]!, /bundle referrers/)
    } finally {
      await proxy.stop()
    }
  })
})

describe('sign: a registry that takes no pushes', () => {
  it('HTTP 405 to a push says the registry does not allow pushes, before anything is written', async () => {
    const registry = await startRegistry()
    const key = await generateTestKey(work, 'readonly')
    const image = await pushImage(testClient(), `${registry.host}/mirror/app:v1`)
    // A read-only front: reads pass through, writes are answered 405 as a mirror answers them.
    const front = createServer((req, res) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNSUPPORTED","message":"The operation is unsupported."}]}')
        req.resume()
        return
      }

      const [host, port] = registry.host.split(':')
      req.pipe(request({host, port: Number(port), method: req.method, path: req.url, headers: req.headers}, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers)
        upstream.pipe(res)
      }))
    })
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    const frontHost = `127.0.0.1:${(front.address() as AddressInfo).port}`
    try {
      const result = await runCli(['sign', `${frontHost}/mirror/app:v1`, '--key', key.key, '--password-file', key.passwordFile])
      assert.equal(result.code, 4, result.stderr)
      assert.match(assertOneLineError(result), /does not allow pushes: .*HTTP 405 Method Not Allowed.*read-only registry, mirror or pull-through cache.*--repository/)
      assert.equal((await fetch(`http://${registry.host}/v2/mirror/app/manifests/sha256-${image.digest.slice(7)}.sig`)).status, 404)
    } finally {
      front.closeAllConnections()
      await new Promise((resolve) => front.close(resolve))
      await registry.stop()
    }
  })
})
