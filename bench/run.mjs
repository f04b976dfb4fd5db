// npm run bench: our CLI against Debian's cosign 2.5 on one loopback registry, in the same run,
// alternating the two tools (a warm-up pair first, then PAIRS pairs). Prints medians, min–max and
// ratios, counts HTTP requests through a proxy, and writes bench/results.json, bench/chart.svg and the
// table in docs/performance.md (between its <!-- bench:start --> and <!-- bench:end --> markers).
//   node bench/run.mjs [--quick] [--no-write] [--only release|verify-release]
// --quick: tiny N, one pair, nothing written (the CI check that this script still runs).
// --only release: just the release figures (one image, two tags, its SBOM attested with two keys); nothing written.
// --only verify-release: just the verify-release figures (that release, signed once, verified as it was signed); nothing written.
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {cpus, tmpdir} from 'node:os'
import {join} from 'node:path'

import {pushImage, testClient} from '../.cache/test-build/test/helpers/images.js'
import {cliBin, cosignBin, repoRoot} from '../.cache/test-build/test/helpers/paths.js'
import {startRegistry} from '../.cache/test-build/test/helpers/registry.js'
import {buildTar} from '../.cache/test-build/test/fixtures/tar.js'
import {pushReleaseImage} from '../.cache/test-build/test/fixtures/release-image.js'
import {writeReport} from '../.cache/test-build/test/helpers/report.js'
import {startFaultProxy} from '../.cache/test-build/test/helpers/fault-proxy.js'
import {mapLimit} from '../.cache/test-build/src/util/map-limit.js'
import {renderChart} from './chart.mjs'
import {measure, stats} from './measure.mjs'

const quick = process.argv.includes('--quick')
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined
const ONLY = ['release', 'verify-release']
if (process.argv.includes('--only') && !ONLY.includes(only)) throw new Error(`--only: ${ONLY.join(' or ')}, got ${only}`)
const write = !quick && !only && !process.argv.includes('--no-write')
const PAIRS = quick ? 1 : 5
// --quick: no warm-up pair (its runs would only be thrown away).
const FIRST_PAIR = quick ? 1 : 0
const SIZES = quick ? {one: 1, batch: 2, big: 3, huge: 4, sbomMiB: 1} : {one: 1, batch: 20, big: 100, huge: 500, sbomMiB: 50}
// More points for the chart (image count, timed pairs): fewer pairs where cosign takes seconds.
const CHART_EXTRA = quick ? [[4, 1]] : [[10, 3], [500, 1]]
// The release: buildpacks in the SBOM layer (3 documents each: CycloneDX, SPDX, Syft), and the larger one for the scaling row.
const RELEASE = quick ? {buildpacks: 1, scaled: 2, remotePairs: 1, scalingPairs: 1} : {buildpacks: 3, scaled: 10, remotePairs: 3, scalingPairs: 3}
const PASSWORD = 'bench-password'
const env = {COSIGN_PASSWORD: PASSWORD, TUF_ROOT: '/nonexistent-tuf', CI: '1', NO_COLOR: '1'}

const work = mkdtempSync(join(tmpdir(), 'bench-'))
const registry = await startRegistry()
// The tests' fault proxy with no faults: it forwards and counts requests (stats.requests).
const proxy = await startFaultProxy(registry.host, {})
// A registry a round trip away: every request waits REMOTE_MS before it is forwarded.
const REMOTE_MS = 20
const distant = await startFaultProxy(registry.host, {slow: {path: /^/, delayMs: REMOTE_MS}})
const client = testClient()
let imageCounter = 0

/** n freshly pushed images, named through `host` (the registry itself, or the counting proxy). */
async function freshImages(n, host = registry.host) {
  const names = Array.from({length: n}, () => `bench/img${imageCounter++}`)
  await mapLimit(names, 16, (name) => pushImage(client, `${registry.host}/${name}:v1`, {layers: [randomBytes(64)]}))
  return names.map((name) => `${host}/${name}:v1`)
}

const ours = (args) => measure(process.execPath, [cliBin, ...args], env)
const cosign = (args) => measure(cosignBin, args, env)
const key = join(work, 'bench.key')

async function setup() {
  const generated = await measure(process.execPath, [cliBin, 'generate-key-pair', '--output-key-prefix', join(work, 'bench')], env)
  void generated
}

/**
 * Alternates the two tools: a warm-up pair, then `pairs` timed pairs straight against the
 * registry, each run on fresh images; then one run each through the counting proxy (kept out of
 * the timed runs: a forwarding hop would add its own cost to every request).
 */
async function compare(name, count, runOurs, runCosign, {pairs = PAIRS, host = registry.host, fresh = (h) => freshImages(count, h), countRequests = true} = {}) {
  const results = {ours: [], cosign: []}
  const registryCpu = {ours: [], cosign: []}
  for (let pair = FIRST_PAIR; pair <= pairs; pair++) {
    for (const tool of pair % 2 ? ['cosign', 'ours'] : ['ours', 'cosign']) {
      const images = await fresh(host)
      const cpuBefore = registry.cpuMs()
      const {ms} = tool === 'ours' ? await runOurs(images) : await runCosign(images)
      if (pair === 0) continue // warm-up
      results[tool].push(ms)
      registryCpu[tool].push((registry.cpuMs() - cpuBefore) / count)
    }
  }

  // Left out (undefined) where the proxy's count would only repeat the loopback figure's.
  const requestsPerSignature = countRequests ? {} : undefined
  for (const [tool, run] of countRequests ? [['ours', runOurs], ['cosign', runCosign]] : []) {
    const images = await fresh(proxy.host)
    const before = proxy.stats.requests
    await run(images)
    requestsPerSignature[tool] = (proxy.stats.requests - before) / count
  }

  const o = stats(results.ours)
  const c = stats(results.cosign)
  // The registry shares this machine's two cores with the tool: its CPU per signature bounds
  // how fast any client can go here.
  const registryCpuMsPerSignature = {ours: stats(registryCpu.ours).median, cosign: stats(registryCpu.cosign).median}
  const row = {figure: name, images: count, ours: o, cosign: c, ratio: o.median / c.median, requestsPerSignature, registryCpuMsPerSignature}
  const requests = countRequests ? `, requests/signature ours ${requestsPerSignature.ours.toFixed(1)} cosign ${requestsPerSignature.cosign.toFixed(1)}` : ''
  console.error(`${name}: ours ${fmt(o)} ms, cosign ${fmt(c)} ms, ratio ${row.ratio.toFixed(2)}${requests}, registry CPU ms/signature ours ${registryCpuMsPerSignature.ours.toFixed(1)} cosign ${registryCpuMsPerSignature.cosign.toFixed(1)}`)
  return row
}

const signOurs = (images) => ours(['sign', ...images, '--key', key, '--quiet'])
const signCosign = (images) => cosign(['sign', '--key', key, '--tlog-upload=false', '-y', ...images])

async function helpFigure() {
  const results = {ours: [], node: []}
  for (let pair = 0; pair <= PAIRS; pair++) {
    const a = await ours(['--help'])
    const b = await measure(process.execPath, ['-e', ''])
    if (pair === 0) continue
    results.ours.push(a.ms)
    results.node.push(b.ms)
  }

  const o = stats(results.ours)
  const n = stats(results.node)
  console.error(`--help: ours ${fmt(o)} ms, bare node ${fmt(n)} ms, ratio ${(o.median / n.median).toFixed(2)}`)
  return {figure: '--help vs bare node -e ""', ours: o, node: n, ratio: o.median / n.median}
}

async function memoryFigure() {
  const peaks = {}
  for (const count of [SIZES.batch, SIZES.huge]) {
    const images = await freshImages(count)
    const {rssKiB, ms} = await signOurs(images)
    peaks[count] = {rssMiB: rssKiB / 1024, ms}
  }

  const growth = peaks[SIZES.huge].rssMiB - peaks[SIZES.batch].rssMiB
  console.error(`memory: peak RSS ${peaks[SIZES.batch].rssMiB.toFixed(0)} MiB at ${SIZES.batch} images, ${peaks[SIZES.huge].rssMiB.toFixed(0)} MiB at ${SIZES.huge}: +${growth.toFixed(1)} MiB`)
  return {figure: `peak RSS ${SIZES.batch} → ${SIZES.huge} images`, peaks, growthMiB: growth}
}

async function sbomFigure() {
  const mib = SIZES.sbomMiB
  const document = cyclonedxOfSize(mib * 1024 * 1024)
  const sbomTar = buildTar([{path: 'layers/sbom/launch/bench_bp/sbom.cdx.json', content: document}])
  const diffId = (await import('../.cache/test-build/src/registry/digest.js')).sha256Digest(sbomTar)
  const labels = {'io.buildpacks.lifecycle.metadata': JSON.stringify({sbom: {sha: diffId}})}
  const tag = `${registry.host}/bench/sbom:v1`
  const image = await pushImage(client, tag, {layers: [randomBytes(64), sbomTar], labels})
  const report = join(work, 'sbom-report.toml')
  writeFileSync(report, `[image]\n  tags = ["${registry.host}/bench/sbom:v1"]\n  digest = "${image.digest}"\n`)
  writeFileSync(join(work, 'bench.password'), PASSWORD)
  const config = join(work, 'sbom-cosign.toml')
  writeFileSync(config, `[[configs]]\nkey = "bench.key"\npassword = "bench.password"\nexport-sbom = "attestation"\n`)
  const idle = await ours(['--version'])
  const run = await ours(['sign', '--report', report, '--cosign-config', config, '--quiet'])
  const aboveIdleMiB = (run.rssKiB - idle.rssKiB) / 1024
  console.error(`SBOM ${mib} MiB attestation: peak RSS ${(run.rssKiB / 1024).toFixed(0)} MiB, idle ${(idle.rssKiB / 1024).toFixed(0)} MiB, above idle ${aboveIdleMiB.toFixed(0)} MiB = ${(aboveIdleMiB / mib).toFixed(2)}× the SBOM, ${run.ms.toFixed(0)} ms`)
  return {figure: `attestation of a ${mib} MiB SBOM`, sbomMiB: mib, peakMiB: run.rssKiB / 1024, idleMiB: idle.rssKiB / 1024, aboveIdleMiB, times: aboveIdleMiB / mib, ms: run.ms}
}

/** A valid CycloneDX JSON document of about `bytes` bytes. */
function cyclonedxOfSize(bytes) {
  const parts = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const component = `{"type":"library","name":"package-${i}","version":"1.${i % 100}.${i % 7}","purl":"pkg:npm/package-${i}@1.${i % 100}.${i % 7}"}`
    parts.push(component)
    size += component.length + 1
  }

  return `{"bomFormat":"CycloneDX","specVersion":"1.4","version":1,"components":[${parts.join(',')}]}`
}

// The release: one CNB app image under two tags whose SBOM layer's documents are attested with two
// keys, as a pipeline does after `pack build`. Ours: one `sign --report` with two [[configs]].
// cosign: the script a pipeline would run instead, one process per key for `sign`, then one per
// document and key for `attest`, one after another (the documents are written out beforehand).
const RELEASE_KEYS = ['release-a', 'release-b']
const COSIGN_TYPES = {cdx: 'cyclonedx', spdx: 'spdxjson', syft: 'https://syft.dev/bom'}
const releaseConfig = join(work, 'release-cosign.toml')
let releaseCounter = 0
let releaseKeys

/** The two release keys and the signing cosign.toml (once, for whichever release figures run first). */
function releaseSetup() {
  releaseKeys ??= generateReleaseKeys()
  return releaseKeys
}

async function generateReleaseKeys() {
  const configs = []
  for (const name of RELEASE_KEYS) {
    await measure(process.execPath, [cliBin, 'generate-key-pair', '--output-key-prefix', join(work, name)], env)
    writeFileSync(join(work, `${name}.password`), PASSWORD)
    configs.push(`[[configs]]\nkey = "${name}.key"\npassword = "${name}.password"\nexport-sbom = "attestation"\n`)
  }

  writeFileSync(releaseConfig, configs.join('\n'))
}

/** A fresh release image (pushed straight to the registry, named through `host`), its report.toml, and the cosign script. */
async function freshRelease(host, buildpacks) {
  const dir = join(work, `release${releaseCounter}`)
  const repository = `bench/release${releaseCounter++}`
  mkdirSync(dir)
  const image = await pushReleaseImage(client, [`${registry.host}/${repository}:1.4.2`, `${registry.host}/${repository}:latest`], {buildpacks})
  const report = writeReport(dir, [`${host}/${repository}:1.4.2`, `${host}/${repository}:latest`], image.digest)
  const subject = `${host}/${repository}@${image.digest}`
  const lines = ['set -e']
  for (const name of RELEASE_KEYS) lines.push(`'${cosignBin}' sign --key '${join(work, `${name}.key`)}' --tlog-upload=false -y ${subject}`)
  image.sbom.documents.forEach((document, i) => {
    const file = join(dir, `sbom${i}.${document.format}.json`)
    writeFileSync(file, document.content)
    for (const name of RELEASE_KEYS) {
      lines.push(`'${cosignBin}' attest --key '${join(work, `${name}.key`)}' --tlog-upload=false -y --type ${COSIGN_TYPES[document.format]} --predicate '${file}' ${subject}`)
    }
  })
  const script = join(dir, 'cosign.sh')
  writeFileSync(script, lines.join('\n') + '\n')
  return {report, script}
}

const releaseOurs = (release) => ours(['sign', '--report', release.report, '--cosign-config', releaseConfig, '--quiet'])
const releaseCosign = (release) => measure('bash', [release.script], env)

async function releaseFigures() {
  await releaseSetup()
  const documents = RELEASE.buildpacks * 3
  const fresh = (host) => freshRelease(host, RELEASE.buildpacks)
  const name = `release: 1 image (2 tags), ${documents} SBOM documents, 2 keys`
  const loopback = await compare(name, 1, releaseOurs, releaseCosign, {fresh})
  const remote = await compare(`${name}, registry ${REMOTE_MS} ms away`, 1, releaseOurs, releaseCosign, {fresh, pairs: RELEASE.remotePairs, host: distant.host, countRequests: false})
  return {documents, cosignProcesses: 2 + 2 * documents, loopback, remote, scaling: await releaseScaling()}
}

// Verifying that release as it was signed. It is signed once (ours, both keys, export-sbom =
// "attestation", an [[annotations]] entry, no provenance: what cosign can check too) and only read
// afterwards, so every run verifies the same release. Ours: one `verify --report --cosign-config`
// whose two [[configs]] give the public keys. cosign: the script a pipeline would run instead,
// `verify -a` per key, then `verify-attestation --type` per document type and key (one
// verify-attestation checks all attestations of its type at once), one after another. The script
// checks less than ours: not the tags, nor each SBOM document against the attested predicates.
const VERIFY_ANNOTATION = ['team', 'payments']
const verifyTypes = [...new Set(Object.values(COSIGN_TYPES))]

/** The signed release, with its report.toml and cosign script per host (registry, counting proxy, distant proxy). */
async function signedRelease(buildpacks) {
  await releaseSetup()
  const annotations = `[[annotations]]\nname = "${VERIFY_ANNOTATION[0]}"\nvalue = "${VERIFY_ANNOTATION[1]}"\n`
  const settings = 'export-sbom = "attestation"\n'
  const signing = join(work, 'verify-sign-cosign.toml')
  writeFileSync(signing, [annotations, ...RELEASE_KEYS.map((name) => `[[configs]]\nkey = "${name}.key"\npassword = "${name}.password"\n${settings}`)].join('\n'))
  const config = join(work, 'verify-cosign.toml')
  writeFileSync(config, [annotations, ...RELEASE_KEYS.map((name) => `[[configs]]\npublic-key = "${name}.pub"\n${settings}`)].join('\n'))

  const dir = join(work, `verify-release${releaseCounter}`)
  const repository = `bench/verify-release${releaseCounter++}`
  mkdirSync(dir)
  const tags = (host) => [`${host}/${repository}:1.4.2`, `${host}/${repository}:latest`]
  const image = await pushReleaseImage(client, tags(registry.host), {buildpacks})
  await ours(['sign', '--report', writeReport(dir, tags(registry.host), image.digest, 'sign-report.toml'), '--cosign-config', signing, '--quiet'])

  const byHost = new Map()
  for (const host of [registry.host, proxy.host, distant.host]) {
    const slug = host.replaceAll(/[^0-9a-z]/gi, '_')
    const report = writeReport(dir, tags(host), image.digest, `report-${slug}.toml`)
    const subject = `${host}/${repository}@${image.digest}`
    const lines = ['set -e']
    const cosignVerify = (command, name, extra) =>
      `'${cosignBin}' ${command} --key '${join(work, `${name}.pub`)}' --insecure-ignore-tlog --allow-http-registry ${extra} ${subject} > /dev/null`
    for (const name of RELEASE_KEYS) lines.push(cosignVerify('verify', name, `-a ${VERIFY_ANNOTATION.join('=')}`))
    for (const type of verifyTypes) for (const name of RELEASE_KEYS) lines.push(cosignVerify('verify-attestation', name, `--type '${type}'`))
    const script = join(dir, `verify-${slug}.sh`)
    writeFileSync(script, lines.join('\n') + '\n')
    byHost.set(host, {report, config, script})
  }

  return {documents: image.sbom.documents.length, processes: 2 + 2 * verifyTypes.length, byHost}
}

const verifyReleaseOurs = (release) => ours(['verify', '--report', release.report, '--cosign-config', release.config, '--quiet'])
const verifyReleaseCosign = (release) => measure('bash', [release.script], env)

async function verifyReleaseFigures() {
  const signed = await signedRelease(RELEASE.buildpacks)
  const fresh = async (host) => signed.byHost.get(host) // read-only: the same signed release every run
  const name = `verify release: 1 image (2 tags), ${signed.documents} SBOM documents, 2 keys`
  const loopback = await compare(name, 1, verifyReleaseOurs, verifyReleaseCosign, {fresh})
  const remote = await compare(`${name}, registry ${REMOTE_MS} ms away`, 1, verifyReleaseOurs, verifyReleaseCosign, {fresh, pairs: RELEASE.remotePairs, host: distant.host, countRequests: false})
  return {documents: signed.documents, cosignProcesses: signed.processes, loopback, remote}
}

/** Ours only, at REMOTE_MS: the release with RELEASE.scaled buildpacks against the usual RELEASE.buildpacks, alternating pairs. */
async function releaseScaling() {
  const buildpacks = {small: RELEASE.buildpacks, large: RELEASE.scaled}
  const results = {small: [], large: []}
  for (let pair = FIRST_PAIR; pair <= RELEASE.scalingPairs; pair++) {
    for (const size of pair % 2 ? ['large', 'small'] : ['small', 'large']) {
      const {ms} = await releaseOurs(await freshRelease(distant.host, buildpacks[size]))
      if (pair > 0) results[size].push(ms) // pair 0: warm-up
    }
  }

  const small = stats(results.small)
  const large = stats(results.large)
  const documents = {small: buildpacks.small * 3, large: buildpacks.large * 3}
  const row = {figure: `release, ${documents.large} vs ${documents.small} SBOM documents, registry ${REMOTE_MS} ms away (ours)`, documents, small, large, ratio: large.median / small.median}
  console.error(`${row.figure}: ${fmt(large)} ms vs ${fmt(small)} ms, ratio ${row.ratio.toFixed(2)}`)
  return row
}

function fmt(s) {
  return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`
}

try {
  const results = {date: new Date().toISOString().slice(0, 10), cores: cpus().length, node: process.version, pairs: PAIRS}
  if (!only) Object.assign(results, await signFigures())
  if (!only || only === 'release') results.release = await releaseFigures()
  if (!only || only === 'verify-release') results.verifyRelease = await verifyReleaseFigures()
  const table = renderTable(results)
  console.log(table)
  if (write) {
    writeFileSync(join(repoRoot, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n')
    writeFileSync(join(repoRoot, 'bench', 'chart.svg'), renderChart(results.chart, `sign: wall time, ${results.date}, ${results.cores} cores (medians; log–log)`))
    const tablePath = join(repoRoot, 'docs', 'performance.md')
    const page = readFileSync(tablePath, 'utf8')
    const start = '<!-- bench:start -->'
    const end = '<!-- bench:end -->'
    if (page.includes(start)) {
      writeFileSync(tablePath, page.slice(0, page.indexOf(start) + start.length) + '\n' + table + '\n' + page.slice(page.indexOf(end)))
    }
  }
} finally {
  await proxy.stop()
  await distant.stop()
  await registry.stop()
}

async function signFigures() {
  await setup()
  const one = await compare(`sign ${SIZES.one} image`, SIZES.one, signOurs, signCosign)
  const batch = await compare(`sign ${SIZES.batch} images in one call`, SIZES.batch, signOurs, signCosign)
  const big = await compare(`sign ${SIZES.big} images in one call`, SIZES.big, signOurs, signCosign)
  const scaling = [one, batch, big]
  for (const [count, pairs] of CHART_EXTRA) scaling.push(await compare(`sign ${count} images in one call`, count, signOurs, signCosign, {pairs}))
  // Not a target: the same batch against a registry REMOTE_MS away (each request delayed by a proxy), where round trips, not CPU, set the pace.
  const remote = await compare(`sign ${SIZES.batch} images, registry ${REMOTE_MS} ms away`, SIZES.batch, signOurs, signCosign, {pairs: quick ? 1 : 3, host: distant.host})
  const chartPoints = scaling.map((r) => ({images: r.images, ours: r.ours.median, cosign: r.cosign.median})).sort((a, b) => a.images - b.images)
  const help = await helpFigure()
  const memory = await memoryFigure()
  const sbom = await sbomFigure()
  return {one, batch, big, remote, chart: chartPoints, help, memory, sbom}
}

function renderTable(r) {
  const row = (name, target, ours, theirs, ratio, ok) => `| ${name} | ${target} | ${ours} | ${theirs} | ${ratio} | ${ok ? 'met' : '**not met**'} |`
  const ms = (s) => `${s.median.toFixed(0)} ms (${s.min.toFixed(0)}–${s.max.toFixed(0)})`
  return [
    `Measured ${r.date} on this project's machine (${r.cores} cores, Node ${r.node}), Debian's cosign 2.5 with \`--tlog-upload=false\`, loopback distribution 2.8 (Debian's packaged storage settings); medians of ${r.pairs} alternating pair${r.pairs === 1 ? '' : 's'}${FIRST_PAIR ? ' (--quick: no warm-up pair)' : ' after a warm-up pair'}, fresh images every run, encrypted cosign key (scrypt N=65536). Requests are counted in one extra run per tool through a counting proxy, kept out of the timed runs. Chart: \`bench/chart.svg\`.` +
      (r.release ? ` Release rows: ours is one \`sign --report\` with two \`[[configs]]\` (two keys, \`export-sbom = "attestation"\`); cosign is the same work as a script of ${r.release.cosignProcesses} cosign processes run one after another (\`sign\` per key, then \`attest\` per document and key with \`--type\` \`cyclonedx\`, \`spdxjson\` or \`https://syft.dev/bom\`); the ${REMOTE_MS} ms rows are medians of ${r.release.remote.ours.n} pair${r.release.remote.ours.n === 1 ? '' : 's'}.` : '') +
      (r.verifyRelease ? ` Verify-release rows (no target given): one release image of the same shape (two tags, ${r.verifyRelease.documents} SBOM documents), signed once by us with both keys, \`export-sbom = "attestation"\`, an \`[[annotations]]\` entry and no provenance, then verified as it was signed by every run (verifying only reads, so no fresh image per run); ours is one \`verify --report --cosign-config --quiet\` with \`public-key\` configs; cosign is a script of ${r.verifyRelease.cosignProcesses} processes run one after another (\`verify -a\` per key, then \`verify-attestation --type\` per document type and key, each with \`--insecure-ignore-tlog\`); the ${REMOTE_MS} ms row is the median of ${r.verifyRelease.remote.ours.n} pair${r.verifyRelease.remote.ours.n === 1 ? '' : 's'}.` : ''),
    '',
    '| figure | target | ours | cosign | ratio | |',
    '|---|---|---|---|---|---|',
    ...(r.one ? signRows(r, row, ms) : []),
    ...(r.release ? releaseRows(r.release, row, ms) : []),
    ...(r.verifyRelease ? verifyReleaseRows(r.verifyRelease, ms) : []),
  ].join('\n')
}

function signRows(r, row, ms) {
  return [
    row(`sign ${r.one.images} image, whole process`, '≤ 1.5×', ms(r.one.ours), ms(r.one.cosign), `${r.one.ratio.toFixed(2)}×`, r.one.ratio <= 1.5),
    row(`sign ${r.batch.images} images in one call`, '≤ 0.6×', ms(r.batch.ours), ms(r.batch.cosign), `${r.batch.ratio.toFixed(2)}×`, r.batch.ratio <= 0.6),
    row(`sign ${r.big.images} images in one call`, '≤ 0.4×', ms(r.big.ours), ms(r.big.cosign), `${r.big.ratio.toFixed(2)}×`, r.big.ratio <= 0.4),
    row(`peak RSS, ${Object.keys(r.memory.peaks)[0]} → ${Object.keys(r.memory.peaks)[1]} images`, '< +50 MiB', `${Object.values(r.memory.peaks).map((p) => `${p.rssMiB.toFixed(0)} MiB`).join(' → ')} (+${r.memory.growthMiB.toFixed(1)})`, '—', '—', r.memory.growthMiB < 50),
    row('HTTP requests per signature (1 fresh image)', '≤ 7', r.one.requestsPerSignature.ours.toFixed(1), r.one.requestsPerSignature.cosign.toFixed(1), '—', r.one.requestsPerSignature.ours <= 7),
    row(`HTTP requests per signature (${r.batch.images} images)`, '≤ 7', r.batch.requestsPerSignature.ours.toFixed(1), r.batch.requestsPerSignature.cosign.toFixed(1), '—', r.batch.requestsPerSignature.ours <= 7),
    `| ${r.remote.figure} (not a target) | — | ${ms(r.remote.ours)} | ${ms(r.remote.cosign)} | ${r.remote.ratio.toFixed(2)}× | — |`,
    `| registry CPU per signature (${r.big.images} images; the registry shares the 2 cores) | — | ${r.big.registryCpuMsPerSignature.ours.toFixed(1)} ms | ${r.big.registryCpuMsPerSignature.cosign.toFixed(1)} ms | ${(r.big.registryCpuMsPerSignature.ours / r.big.registryCpuMsPerSignature.cosign).toFixed(2)}× | — |`,
    row('`--help` vs bare `node -e ""`', '≤ 2.5×', ms(r.help.ours), `${ms(r.help.node)} (node)`, `${r.help.ratio.toFixed(2)}×`, r.help.ratio <= 2.5),
    row(`attestation of a ${r.sbom.sbomMiB} MiB SBOM, peak RSS above idle`, '≤ 5× SBOM', `${r.sbom.aboveIdleMiB.toFixed(0)} MiB (${r.sbom.times.toFixed(2)}×)`, '—', '—', r.sbom.times <= 5),
  ]
}

function releaseRows(r, row, ms) {
  const {loopback, remote, scaling} = r
  return [
    row(loopback.figure, '≤ 0.35×', ms(loopback.ours), ms(loopback.cosign), `${loopback.ratio.toFixed(2)}×`, loopback.ratio <= 0.35),
    row(remote.figure, '≤ 0.25×', ms(remote.ours), ms(remote.cosign), `${remote.ratio.toFixed(2)}×`, remote.ratio <= 0.25),
    row(scaling.figure, `≤ 1.5× the ${scaling.documents.small}-document time`, `${ms(scaling.large)} vs ${ms(scaling.small)}`, '—', `${scaling.ratio.toFixed(2)}×`, scaling.ratio <= 1.5),
    `| HTTP requests, ${loopback.figure} (not a target) | — | ${loopback.requestsPerSignature.ours} | ${loopback.requestsPerSignature.cosign} | — | — |`,
  ]
}

function verifyReleaseRows(r, ms) {
  const {loopback, remote} = r
  return [
    ...[loopback, remote].map((f) => `| ${f.figure} | — | ${ms(f.ours)} | ${ms(f.cosign)} | ${f.ratio.toFixed(2)}× | — |`),
    `| HTTP requests, ${loopback.figure} (not a target) | — | ${loopback.requestsPerSignature.ours} | ${loopback.requestsPerSignature.cosign} | — | — |`,
  ]
}
