import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {buildSbomLayer} from '../fixtures/sbom-layer.js'
import {dockerConfigDir} from '../helpers/docker-config.js'
import {pushImage, pushIndex, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'
import {type TokenServer, startTokenServer} from '../helpers/token-server.js'
import {cosignKeylessEnv} from '../helpers/cosign-keyless.js'
import {type SigstoreServices, startSigstoreServices, TEST_ISSUER, TEST_SUBJECT} from '../helpers/sigstore-services.js'

const work = mkdtempSync(join(tmpdir(), 'signer-phase-'))

/** The same app image (same digest) under each tag: what an exporter with several tags leaves. */
async function pushAppImage(client: ReturnType<typeof testClient>, tags: string[], withSbom = true) {
  const sbom = buildSbomLayer()
  const app = randomBytes(256)
  const spec = withSbom ? {layers: [app, sbom.tar], labels: sbom.labels} : {layers: [app]}
  const pushed = []
  for (const tag of tags) pushed.push(await pushImage(client, tag, spec))
  assert.equal(new Set(pushed.map((p) => p.digest)).size, 1)
  return pushed[0]!.digest
}

function cosignToml(configs: string[], annotations: Record<string, string> = {}): string {
  const notes = Object.entries(annotations).map(([name, value]) => `[[annotations]]\nname = "${name}"\nvalue = "${value}"\n`)
  return [...notes, ...configs.map((c) => `[[configs]]\n${c}\n`)].join('\n')
}

const verify = (image: string, pub: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  runCosign(['verify', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', ...extra, image], {env})
const verifyAttestation = (image: string, pub: string, type: string, env: NodeJS.ProcessEnv = {}) =>
  runCosign(['verify-attestation', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', type, image], {env})

describe('sign --report --cosign-config (the RFC signer phase)', () => {
  let registry: TestRegistry
  let keyA: TestKey
  let keyB: TestKey
  const client = testClient()

  before(async () => {
    registry = await startRegistry()
    keyA = await generateTestKey(work, 'a')
    keyB = await generateTestKey(work, 'b')
  })
  after(() => registry.stop())

  it('signs every repository with every config, attests and attaches the SBOM; cosign verifies all', async () => {
    const tags = [`${registry.host}/team/app:latest`, `${registry.host}/team/app:v1`, `${registry.host}/mirror/app:v1`]
    const digest = await pushAppImage(client, tags)
    const report = writeReport(work, tags, digest, 'full-report.toml')
    const config = writeFile(
      work,
      'full-cosign.toml',
      cosignToml(
        [
          `key = "a.key"\npassword = "a.password"\nrepository = "${registry.host}/signatures"\ndocker-media-types = true`,
          `key = "b.key"\npassword = "b.password"\nexport-sbom = "attachment"`,
        ],
        {team: 'payments', release: '1.0'},
      ),
    )
    const before = await registrySnapshot(registry)
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const json = JSON.parse(result.stdout)
    // Config B attaches one document per repository (cosign reads exactly one) and says which were left out.
    assert.equal(json.warnings.length, 2)
    for (const warning of json.warnings) {
      assert.match(warning, /attached layers\/sbom\/launch\/paketo-buildpacks_node-engine\/node\/sbom\.cdx\.json .* left out .*sbom\.spdx\.json, .*sbom\.syft\.json; use export-sbom = "attestation"/)
    }
    const hex = digest.slice(7)

    // The registry holds exactly these new tags.
    const after = await registrySnapshot(registry)
    const added = Object.keys(after).filter((k) => !(k in before)).sort()
    assert.deepEqual(added, [
      `mirror/app:sha256-${hex}.sbom`,
      `mirror/app:sha256-${hex}.sig`,
      `signatures:sha256-${hex}.att`,
      `signatures:sha256-${hex}.sig`,
      `team/app:sha256-${hex}.sbom`,
      `team/app:sha256-${hex}.sig`,
    ])
    const sigs = await fetchManifest(registry, 'signatures', `sha256-${hex}.sig`)
    assert.equal(sigs.json.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
    assert.equal(sigs.json.layers.length, 2, 'one signature per image repository (docker-reference differs)')

    const annotations = ['-a', 'team=payments', '-a', 'release=1.0']
    const overrideEnv = {COSIGN_REPOSITORY: `${registry.host}/signatures`}
    for (const repo of ['team/app', 'mirror/app']) {
      const image = `${registry.host}/${repo}@${digest}`
      const a = await verify(image, keyA.pub, annotations, overrideEnv)
      assert.equal(a.code, 0, `${repo} config A: ${a.stderr}`)
      assert.ok(JSON.parse(a.stdout.trim()).some((p: any) => p.critical.identity['docker-reference'] === `${registry.host}/${repo}`))
      const b = await verify(image, keyB.pub, annotations)
      assert.equal(b.code, 0, `${repo} config B: ${b.stderr}`)
      for (const type of ['cyclonedx', 'spdxjson', 'https://syft.dev/bom']) {
        const attested = await verifyAttestation(image, keyA.pub, type, overrideEnv)
        assert.equal(attested.code, 0, `${repo} ${type}: ${attested.stderr}`)
      }

      const downloaded = await runCosign(['download', 'sbom', '--allow-http-registry', image])
      assert.equal(downloaded.code, 0, downloaded.stderr)
      assert.equal(downloaded.stdout.trim(), '{"bomFormat":"CycloneDX","specVersion":"1.4","components":[]}')
    }

    // Re-running adds nothing: signatures and attestations are already there.
    const again = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.ok(JSON.parse(again.stdout).pushed.filter((p: any) => p.kind !== 'attachment').every((p: any) => p.appended === false))
    assert.equal((await fetchManifest(registry, 'signatures', `sha256-${hex}.att`)).json.layers.length, 6, '3 documents × 2 repositories')
  })

  it('signs an index, and each platform manifest with recursive = true', async () => {
    const index = await pushIndex(client, `${registry.host}/multi:v1`)
    const report = writeReport(work, [`${registry.host}/multi:v1`], index.digest, 'index-report.toml')
    const config = writeFile(work, 'index-cosign.toml', cosignToml([`key = "a.key"\npassword = "a.password"\nrecursive = true\nexport-sbom = "none"`]))
    const result = await runCli(['sign', '--report', report, '--cosign-config', config])
    assert.equal(result.code, 0, result.stderr)
    for (const digest of [index.digest, ...index.children.map((c) => c.digest)]) {
      const verified = await verify(`${registry.host}/multi@${digest}`, keyA.pub)
      assert.equal(verified.code, 0, `${digest}: ${verified.stderr}`)
    }
  })

  it('signs an image without an SBOM layer, with a visible warning', async () => {
    const tag = `${registry.host}/no-sbom:v1`
    const digest = await pushAppImage(client, [tag], false)
    const report = writeReport(work, [tag], digest, 'nosbom-report.toml')
    const config = writeFile(work, 'nosbom-cosign.toml', cosignToml(['key = "a.key"\npassword = "a.password"']))
    const result = await runCli(['sign', '--report', report, '--cosign-config', config])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /Warning: .*no-sbom@sha256:[0-9a-f]{64} has no SBOM layer/)
    assert.match(result.stdout, /^Signed .*no-sbom@sha256/m)
    assert.equal((await verify(tag, keyA.pub)).code, 0)
  })

  describe('preflight failures write nothing', () => {
    const cases: [string, (tag: string, digest: string) => {report: [string[], string]; config: string; env?: NodeJS.ProcessEnv}, RegExp][] = [
      [
        'digest mismatch',
        (tag) => ({report: [[tag], `sha256:${'a'.repeat(64)}`], config: 'key = "a.key"\npassword = "a.password"'}),
        /tag .*pre:v1 points at sha256:[0-9a-f]{64}, but the report says sha256:a{64}/,
      ],
      ['missing key', (tag, digest) => ({report: [[tag], digest], config: 'key = "missing.key"'}), /key file .*missing\.key not found/],
      [
        'wrong password',
        (tag, digest) => ({report: [[tag], digest], config: 'key = "a.key"\npassword = "b.password"'}),
        /wrong password for .*a\.key/,
      ],
      [
        'unknown tag',
        (tag, digest) => ({report: [[tag, tag.replace('pre:v1', 'pre:gone')], digest], config: 'key = "a.key"\npassword = "a.password"'}),
        /pre:gone not found/,
      ],
    ]
    for (const [name, make, message] of cases) {
      it(name, async () => {
        const tag = `${registry.host}/pre:v1`
        const digest = await pushAppImage(client, [tag])
        const spec = make(tag, digest)
        const report = writeReport(work, spec.report[0], spec.report[1], `pre-${name.replace(/ /g, '-')}.toml`)
        const config = writeFile(work, `pre-${name.replace(/ /g, '-')}-cosign.toml`, cosignToml([spec.config]))
        const before = await registrySnapshot(registry)
        const result = await runCli(['sign', '--report', report, '--cosign-config', config], {env: spec.env})
        const line = assertOneLineError(result).split('\n').at(-1)!
        assert.equal(result.code, 8, result.stderr)
        assert.match(line, /^Error: preflight found \d problem\(s\), nothing was written: /)
        assert.match(line, message)
        assert.deepEqual(await registrySnapshot(registry), before)
      })
    }

    it('reports all problems together', async () => {
      const tag = `${registry.host}/pre-all:v1`
      await pushAppImage(client, [tag])
      const report = writeReport(work, [tag], `sha256:${'b'.repeat(64)}`, 'all-report.toml')
      const config = writeFile(work, 'all-cosign.toml', cosignToml(['key = "missing.key"', 'key = "a.key"\npassword = "b.password"']))
      const result = await runCli(['sign', '--report', report, '--cosign-config', config])
      const line = assertOneLineError(result).split('\n').at(-1)!
      assert.match(line, /^Error: preflight found 3 problem\(s\), nothing was written: /)
      for (const problem of [/points at sha256:[0-9a-f]{64}, but the report says sha256:b{64}/, /missing\.key not found/, /wrong password for .*a\.key/]) {
        assert.match(line, problem)
      }
    })
  })

  describe('malformed inputs', () => {
    const cases: [string, string, string, RegExp][] = [
      ['daemon export', 'daemon', 'key = "a.key"', /daemon-report\.toml: the image was exported to a daemon \(no image\.digest\); signing needs a registry export — build with --publish/],
      ['unknown cosign.toml key', 'ok', 'key = "a.key"\nkeyy = "x"', /bad-cosign\.toml:3: unknown key "keyy" in \[\[configs\]\]; allowed: key, repository/],
      ['bad export-sbom', 'ok', 'key = "a.key"\nexport-sbom = "sbom"', /bad-cosign\.toml:3: configs\[0\]\.export-sbom is "sbom"; allowed: none, attestation, attachment/],
      ['missing key', 'ok', 'repository = "x.example.com/sigs"', /bad-cosign\.toml:1: configs\[0\] has no "key" \(path to the private key\); or set keyless = true/],
      ['TOML syntax error', 'ok', 'key = "a.key', /bad-cosign\.toml:2:\d+: /],
      ['key and keyless together', 'ok', 'key = "a.key"\nkeyless = true', /bad-cosign\.toml:3: configs\[0\] has both "key" and keyless = true; a config signs with a key or keyless: drop one of them/],
    ]
    for (const [name, reportKind, config, message] of cases) {
      it(name, async () => {
        const tag = `${registry.host}/malformed:v1`
        const digest = await pushAppImage(client, [tag], false)
        const report = writeReport(work, [tag], reportKind === 'daemon' ? undefined : digest, reportKind === 'daemon' ? 'daemon-report.toml' : 'ok-report.toml')
        const file = writeFile(work, 'bad-cosign.toml', cosignToml([config]))
        const before = await registrySnapshot(registry)
        const result = await runCli(['sign', '--report', report, '--cosign-config', file])
        assert.match(assertOneLineError(result), message)
        assert.equal(result.code, 2)
        assert.deepEqual(await registrySnapshot(registry), before)
      })
    }

    it('refuses images as arguments together with --report', async () => {
      const result = await runCli(['sign', 'x/y:z', '--report', 'r.toml', '--cosign-config', 'c.toml'])
      assert.match(assertOneLineError(result), /either as arguments or with --report/)
    })
  })
})

describe('sign --report with keyless = true and tlog-upload = true (local Fulcio, Rekor over HTTP)', () => {
  let registry: TestRegistry
  let services: SigstoreServices
  let trustedRoot: string
  let cosignEnv: Record<string, string>
  const client = testClient()
  const identity = ['--certificate-identity', TEST_SUBJECT, '--certificate-oidc-issuer', TEST_ISSUER]

  before(async () => {
    ;[registry, services] = await Promise.all([startRegistry(), startSigstoreServices()])
    trustedRoot = join(work, 'phase-trusted-root.json')
    await services.writeTrustedRoot(trustedRoot)
    cosignEnv = await cosignKeylessEnv(services, mkdtempSync(join(tmpdir(), 'phase-cosign-')))
    await generateTestKey(work, 'logged')
  })
  after(async () => {
    await registry?.stop()
    await services?.stop()
  })

  const keylessConfig = (extra = '') => `keyless = true\nfulcio-url = "${services.fulcioURL}"\nrekor-url = "${services.rekorURL}"\n${extra}`

  it('keyless: one Fulcio certificate for the run; signatures, SBOM attestations and provenance in both formats verify by identity', async () => {
    const tags = [`${registry.host}/keyless/app:v1`, `${registry.host}/keyless/mirror:v1`]
    const digest = await pushAppImage(client, tags)
    const report = writeReport(work, tags, digest, 'keyless-report.toml')
    const config = writeFile(work, 'keyless-cosign.toml', cosignToml([keylessConfig('format = "both"\nprovenance = true')], {team: 'payments'}))
    const token = services.identityToken()
    const fulcioBefore = services.requests.fulcio
    const result = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'], {env: {SIGSTORE_ID_TOKEN: token}})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(services.requests.fulcio - fulcioBefore, 1, 'one certificate per run per config')
    assert.ok(!result.stdout.includes(token) && !result.stderr.includes(token))
    const pushed = JSON.parse(result.stdout).pushed
    // 2 repositories × (1 signature + 3 SBOM documents + 1 provenance) × 2 formats
    assert.equal(pushed.length, 20)

    for (const tag of tags) {
      const signatures = await runCli(['verify', tag, ...identity, '--trusted-root', trustedRoot, '-a', 'team=payments'])
      assert.equal(signatures.code, 0, `${tag}: ${signatures.stderr}`)
      assert.match(signatures.stderr, /\(1 classic, 1 bundle\)/)
      const attestations = await runCli(['verify', tag, ...identity, '--trusted-root', trustedRoot, '--attestations', '--type', 'cyclonedx', '--json'])
      assert.equal(attestations.code, 0, `${tag}: ${attestations.stderr}`)
      assert.deepEqual(JSON.parse(attestations.stdout).map((v: any) => v.format).sort(), ['bundle', 'classic'])
      const wrong = await runCli(['verify', tag, '--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER, '--trusted-root', trustedRoot, '--attestations'])
      assert.equal(wrong.code, 10)

      const cosign = await runCosign(['verify', '--allow-http-registry', ...identity, '-a', 'team=payments', tag], {env: cosignEnv})
      assert.equal(cosign.code, 0, `${tag}: ${cosign.stderr}`)
      const cosignAttestation = await runCosign(['verify-attestation', '--allow-http-registry', ...identity, '--type', 'cyclonedx', tag], {env: cosignEnv})
      assert.equal(cosignAttestation.code, 0, `${tag}: ${cosignAttestation.stderr}`)
      const provenance = await runCli(['verify', tag, ...identity, '--trusted-root', trustedRoot, '--attestations', '--type', 'slsaprovenance1', '--json'])
      assert.equal(provenance.code, 0, `${tag}: ${provenance.stderr}`)
      assert.deepEqual(JSON.parse(provenance.stdout).map((v: any) => v.format).sort(), ['bundle', 'classic'])
      const cosignProvenance = await runCosign(['verify-attestation', '--allow-http-registry', ...identity, '--type', 'slsaprovenance1', tag], {env: cosignEnv})
      assert.equal(cosignProvenance.code, 0, `${tag}: ${cosignProvenance.stderr}`)
    }

    // The release as a whole, checked against the same cosign.toml plus who must have signed.
    const verifyConfig = writeFile(work, 'keyless-verify.toml', cosignToml([keylessConfig(`format = "both"\nprovenance = true\ncertificate-identity = "${TEST_SUBJECT}"\ncertificate-oidc-issuer = "${TEST_ISSUER}"`)], {team: 'payments'}))
    const release = await runCli(['verify', '--report', report, '--cosign-config', verifyConfig, '--trusted-root', trustedRoot, '--json'])
    assert.equal(release.code, 0, release.stderr)
    // 2 tags + 2 repositories × (1 signature + 3 SBOM documents + 1 provenance) × 2 formats
    assert.equal(JSON.parse(release.stdout).checks.length, 22)
    const someoneElse = writeFile(work, 'keyless-verify-other.toml', cosignToml([keylessConfig(`certificate-identity = "someone@else.test"\ncertificate-oidc-issuer = "${TEST_ISSUER}"`)], {team: 'payments'}))
    const refused = await runCli(['verify', '--report', report, '--cosign-config', someoneElse, '--trusted-root', trustedRoot])
    assert.equal(refused.code, 10, refused.stderr)
  })

  it('keyless without an identity token: a preflight problem, nothing written', async () => {
    const tag = `${registry.host}/keyless/untokened:v1`
    const digest = await pushAppImage(client, [tag])
    const report = writeReport(work, [tag], digest, 'untokened-report.toml')
    const config = writeFile(work, 'untokened-cosign.toml', cosignToml([keylessConfig(), 'key = "logged.key"\npassword = "logged.password"']))
    const fulcioBefore = services.requests.fulcio
    const before = await registrySnapshot(registry)
    const result = await runCli(['sign', '--report', report, '--cosign-config', config])
    assert.equal(result.code, 8)
    assert.match(
      assertOneLineError(result).split('\n').at(-1)!,
      /^Error: preflight found 1 problem\(s\), nothing was written: \(1\) keyless signing for configs\[0\] \(keyless\): keyless signing needs an OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN/,
    )
    assert.equal(services.requests.fulcio, fulcioBefore)
    assert.deepEqual(await registrySnapshot(registry), before)

    // --identity-token (here a file) serves the keyless config; the key-based one signs as usual.
    const tokenFile = writeFile(work, 'phase-token', services.identityToken())
    const signed = await runCli(['sign', '--report', report, '--cosign-config', config, '--identity-token', tokenFile])
    assert.equal(signed.code, 0, signed.stderr)
    assert.equal(services.requests.fulcio - fulcioBefore, 1)
    assert.match(signed.stderr, /Get a Fulcio certificate for configs\[0\] \(keyless\)/)
    const verified = await runCli(['verify', tag, ...identity, '--trusted-root', trustedRoot])
    assert.equal(verified.code, 0, verified.stderr)
    assert.equal((await runCli(['verify', tag, '--key', join(work, 'logged.pub')])).code, 0)
  })

  it('tlog-upload = true with a key: signature and attestation entries are in Rekor and checked by verify; cosign 2.5 accepts them', async () => {
    const tag = `${registry.host}/logged/app:v1`
    const digest = await pushAppImage(client, [tag])
    const report = writeReport(work, [tag], digest, 'logged-report.toml')
    const config = writeFile(work, 'logged-cosign.toml', cosignToml([`key = "logged.key"\npassword = "logged.password"\ntlog-upload = true\nrekor-url = "${services.rekorURL}"`]))
    const result = await runCli(['sign', '--report', report, '--cosign-config', config])
    assert.equal(result.code, 0, result.stderr)
    const hex = digest.slice(7)
    for (const [suffix, kind] of [['sig', 'hashedrekord'], ['att', 'dsse']]) {
      const {json} = await fetchManifest(registry, 'logged/app', `sha256-${hex}.${suffix}`)
      for (const layer of json.layers) {
        const bundle = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle'])
        const response = await fetch(`${services.rekorURL}/api/v1/log/entries?logIndex=${bundle.Payload.logIndex}`)
        assert.equal(response.status, 200)
        const [entry] = Object.values((await response.json()) as Record<string, {body: string}>)
        assert.equal(JSON.parse(Buffer.from(entry.body, 'base64').toString()).kind, kind)
      }
    }

    const pub = join(work, 'logged.pub')
    assert.equal((await runCli(['verify', tag, '--key', pub])).code, 10, 'a present entry is checked, which needs the trusted root')
    const verified = await runCli(['verify', tag, '--key', pub, '--trusted-root', trustedRoot])
    assert.equal(verified.code, 0, verified.stderr)
    const attested = await runCli(['verify', tag, '--key', pub, '--trusted-root', trustedRoot, '--attestations', '--type', 'spdxjson'])
    assert.equal(attested.code, 0, attested.stderr)
    const cosign = await runCosign(['verify', '--allow-http-registry', '--key', pub, tag], {env: cosignEnv})
    assert.equal(cosign.code, 0, cosign.stderr)
    const cosignAttestation = await runCosign(['verify-attestation', '--allow-http-registry', '--key', pub, '--type', 'spdxjson', tag], {env: cosignEnv})
    assert.equal(cosignAttestation.code, 0, cosignAttestation.stderr)

    // A re-run finds every logged entry already there: nothing new in the registry or in Rekor.
    const rekorBefore = services.requests.rekor
    const again = await runCli(['sign', '--report', report, '--cosign-config', config, '--json'])
    assert.equal(again.code, 0, again.stderr)
    assert.ok(JSON.parse(again.stdout).pushed.every((p: any) => p.appended === false))
    assert.equal(services.requests.rekor, rekorBefore, 'logged entries are recognised before signing: nothing is logged twice')
  })
})

describe('sign --report against a registry where the signer may only pull', () => {
  let registry: TestRegistry
  let tokens: TokenServer
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pull-only-'))
    tokens = await startTokenServer(dir, {
      builder: {password: 'builder-pw', actions: ['pull', 'push']},
      viewer: {password: 'viewer-pw', actions: ['pull']},
    })
    registry = await startRegistry({authYaml: tokens.authYaml})
    await generateTestKey(work, 'pullonly')
  })
  after(async () => {
    await registry.stop()
    await tokens.stop()
  })

  it('fails preflight for lack of write access and leaves the tags exactly as before', async () => {
    const builder = testClient({resolve: async () => ({kind: 'basic', username: 'builder', password: 'builder-pw'})})
    const tag = `${registry.host}/locked/app:v1`
    const digest = await pushAppImage(builder, [tag])
    const report = writeReport(work, [tag], digest, 'locked-report.toml')
    const config = writeFile(work, 'locked-cosign.toml', cosignToml([`key = "pullonly.key"\npassword = "pullonly.password"`]))
    const tagsBefore = await builder.listTags(testRepository(registry, 'locked/app'))
    const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'viewer', password: 'viewer-pw'}})
    const result = await runCli(['sign', '--report', report, '--cosign-config', config], {env: {DOCKER_CONFIG}})
    const line = assertOneLineError(result)
    assert.equal(result.code, 8)
    assert.match(line, /write to .*locked\/app: registry .* (refused|denied)/)
    assert.doesNotMatch(line, /viewer-pw/)
    assert.deepEqual(await builder.listTags(testRepository(registry, 'locked/app')), tagsBefore)
    assert.deepEqual(tagsBefore, ['v1'])
  })
})

function testRepository(registry: TestRegistry, path: string) {
  return {registry: registry.host, path}
}
