import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {credentialHelperDir, dockerConfigDir} from '../helpers/docker-config.js'
import {type TestRegistry, freePort, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {fetchManifest, registrySnapshot} from '../helpers/snapshot.js'

const PASSWORD = 'correct horse battery'
const work = mkdtempSync(join(tmpdir(), 'sign-verify-'))
const env = {COSIGN_PASSWORD: PASSWORD}
const ours = {key: join(work, 'ours.key'), pub: join(work, 'ours.pub')}
const theirs = {key: join(work, 'cosign.key'), pub: join(work, 'cosign.pub')}

async function cosignVerify(image: string, pub: string, extra: string[] = [], extraEnv: NodeJS.ProcessEnv = {}) {
  return runCosign(['verify', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', ...extra, image], {env: extraEnv})
}

function payloads(stdout: string): any[] {
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

describe('sign and verify against a registry without auth', () => {
  let registry: TestRegistry
  const client = testClient()

  before(async () => {
    registry = await startRegistry()
    const generated = await runCli(['generate-key-pair', '--output-key-prefix', join(work, 'ours')], {env})
    assert.equal(generated.code, 0, generated.stderr)
    const cosignGenerated = await runCosign(['generate-key-pair'], {env, cwd: work})
    assert.equal(cosignGenerated.code, 0, cosignGenerated.stderr)
  })
  after(() => registry.stop())

  const fresh = (name: string): Promise<PushedImage> => pushImage(client, `${registry.host}/${name}:v1`)

  it('signs by tag; cosign verifies the digest with the annotations', async () => {
    const image = await fresh('annotated')
    const signed = await runCli(['sign', image.reference, '--key', ours.key, '-a', 'team=payments', '-a', 'env=prod'], {env})
    assert.equal(signed.code, 0, signed.stderr)
    assert.match(signed.stdout, new RegExp(`Signed ${registry.host}/annotated@${image.digest} → ${registry.host}/annotated:sha256-${image.digest.slice(7)}\\.sig`))
    const verified = await cosignVerify(`${registry.host}/annotated@${image.digest}`, ours.pub, ['-a', 'team=payments', '-a', 'env=prod'])
    assert.equal(verified.code, 0, verified.stderr)
    const [payload] = payloads(verified.stdout)
    assert.deepEqual(payload.optional, {team: 'payments', env: 'prod'})
    assert.equal(payload.critical.identity['docker-reference'], `${registry.host}/annotated`)
    const wrongAnnotation = await cosignVerify(`${registry.host}/annotated@${image.digest}`, ours.pub, ['-a', 'team=other'])
    assert.notEqual(wrongAnnotation.code, 0)
  })

  it('writes to the --repository override; cosign finds it with COSIGN_REPOSITORY', async () => {
    const image = await fresh('overridden')
    const before = await registrySnapshot(registry)
    const signed = await runCli(['sign', image.reference, '--key', ours.key, '--repository', `${registry.host}/signatures`], {env})
    assert.equal(signed.code, 0, signed.stderr)
    const after = await registrySnapshot(registry)
    const added = Object.keys(after).filter((k) => !(k in before))
    assert.deepEqual(added, [`signatures:sha256-${image.digest.slice(7)}.sig`])
    const verified = await cosignVerify(image.reference, ours.pub, [], {COSIGN_REPOSITORY: `${registry.host}/signatures`})
    assert.equal(verified.code, 0, verified.stderr)
    const ownRepo = await cosignVerify(image.reference, ours.pub)
    assert.notEqual(ownRepo.code, 0, 'no signature should be in the image repository')
  })

  it('writes Docker media types with --docker-media-types', async () => {
    const image = await fresh('dockertypes')
    const signed = await runCli(['sign', image.reference, '--key', ours.key, '--docker-media-types'], {env})
    assert.equal(signed.code, 0, signed.stderr)
    const manifest = await fetchManifest(registry, 'dockertypes', `sha256-${image.digest.slice(7)}.sig`)
    assert.equal(manifest.json.mediaType, 'application/vnd.docker.distribution.manifest.v2+json')
    assert.equal(manifest.json.config.mediaType, 'application/vnd.docker.container.image.v1+json')
    assert.equal(manifest.json.layers[0].mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json')
    const verified = await cosignVerify(image.reference, ours.pub)
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('writes the .sig image exactly as cosign does (config, manifest layout)', async () => {
    const image = await fresh('layout')
    assert.equal((await runCli(['sign', image.reference, '--key', ours.key], {env})).code, 0)
    const ourManifest = await fetchManifest(registry, 'layout', `sha256-${image.digest.slice(7)}.sig`)
    const cosignImage = await fresh('layout-cosign')
    const cosignSigned = await runCosign(['sign', '--key', theirs.key, '--tlog-upload=false', '-y', `${registry.host}/layout-cosign@${cosignImage.digest}`], {env})
    assert.equal(cosignSigned.code, 0, cosignSigned.stderr)
    const theirManifest = await fetchManifest(registry, 'layout-cosign', `sha256-${cosignImage.digest.slice(7)}.sig`)
    const shape = (m: any) => ({
      keys: Object.keys(m),
      config: Object.keys(m.config),
      configType: m.config.mediaType,
      layer: Object.keys(m.layers[0]),
      layerType: m.layers[0].mediaType,
      annotations: Object.keys(m.layers[0].annotations),
    })
    assert.deepEqual(shape(ourManifest.json), shape(theirManifest.json))
    const blob = async (repo: string, digest: string) => (await fetch(`http://${registry.host}/v2/${repo}/blobs/${digest}`)).text()
    const ourConfig = JSON.parse(await blob('layout', ourManifest.json.config.digest))
    const theirConfig = JSON.parse(await blob('layout-cosign', theirManifest.json.config.digest))
    assert.deepEqual({...ourConfig, rootfs: {...ourConfig.rootfs, diff_ids: []}}, {...theirConfig, rootfs: {...theirConfig.rootfs, diff_ids: []}})
  })

  it('cosign signs, our verify passes; another key fails', async () => {
    const image = await fresh('cosign-signed')
    const signed = await runCosign(['sign', '--key', theirs.key, '--tlog-upload=false', '-y', '-a', 'by=cosign', `${registry.host}/cosign-signed@${image.digest}`], {env})
    assert.equal(signed.code, 0, signed.stderr)
    const verified = await runCli(['verify', image.reference, '--key', theirs.pub, '-a', 'by=cosign'])
    assert.equal(verified.code, 0, verified.stderr)
    assert.deepEqual(payloads(verified.stdout)[0].optional, {by: 'cosign'})
    // The summary names the image once, with its digest: as a tag plus digest, or the digest alone.
    assert.match(verified.stderr, new RegExp(`^Verified 1 signature\\(s\\) on ${image.reference.replace(/[.]/g, '\\.')}@${image.digest} `, 'm'))
    const byDigest = await runCli(['verify', `${registry.host}/cosign-signed@${image.digest}`, '--key', theirs.pub])
    assert.match(byDigest.stderr, new RegExp(`^Verified 1 signature\\(s\\) on ${registry.host.replace(/[.]/g, '\\.')}/cosign-signed@${image.digest} with`, 'm'))
    const json = await runCli(['verify', image.reference, '--key', theirs.pub, '--json'])
    assert.equal(JSON.parse(json.stdout).length, 1)
    const otherKey = await runCli(['verify', image.reference, '--key', ours.pub])
    assert.match(assertOneLineError(otherKey), /^Error: .*cosign-signed@sha256:[0-9a-f]{64}: none of 1 signature\(s\) verified with .*ours\.pub$/)
    assert.equal(otherKey.code, 10)
  })

  it('keys cross: cosign signs with our generated key, we sign with cosign\'s key', async () => {
    const image = await fresh('crossed')
    const bySigned = await runCosign(['sign', '--key', ours.key, '--tlog-upload=false', '-y', `${registry.host}/crossed@${image.digest}`], {env})
    assert.equal(bySigned.code, 0, bySigned.stderr)
    const weSigned = await runCli(['sign', image.reference, '--key', theirs.key], {env})
    assert.equal(weSigned.code, 0, weSigned.stderr)
    assert.equal((await cosignVerify(image.reference, theirs.pub)).code, 0)
    assert.equal((await cosignVerify(image.reference, ours.pub)).code, 0)
    assert.equal((await runCli(['verify', image.reference, '--key', ours.pub])).code, 0)
  })

  it('two signers on one image (ours, then cosign): both signatures remain; re-signing adds nothing', async () => {
    const image = await fresh('two-signers')
    assert.equal((await runCli(['sign', image.reference, '--key', ours.key], {env})).code, 0)
    assert.equal((await runCosign(['sign', '--key', theirs.key, '--tlog-upload=false', '-y', `${registry.host}/two-signers@${image.digest}`], {env})).code, 0)
    const again = await runCli(['sign', image.reference, '--key', ours.key], {env})
    assert.match(again.stdout, /^Already signed /)
    const manifest = await fetchManifest(registry, 'two-signers', `sha256-${image.digest.slice(7)}.sig`)
    assert.equal(manifest.json.layers.length, 2)
    assert.equal((await cosignVerify(image.reference, ours.pub)).code, 0)
    assert.equal((await cosignVerify(image.reference, theirs.pub)).code, 0)
  })

  it('signs several images in one call, by tag and by digest', async () => {
    const a = await fresh('batch-a')
    const b = await fresh('batch-b')
    const signed = await runCli(['sign', a.reference, `${registry.host}/batch-b@${b.digest}`, '--key', ours.key, '--json'], {env})
    assert.equal(signed.code, 0, signed.stderr)
    const results = JSON.parse(signed.stdout)
    assert.deepEqual(results.map((r: any) => r.digest), [a.digest, b.digest])
    for (const image of [a, b]) assert.equal((await cosignVerify(image.reference, ours.pub)).code, 0)
  })

  describe('bad inputs: one line, non-zero exit, no stack trace, nothing written', () => {
    const garbage = join(work, 'garbage.key')
    writeFileSync(garbage, 'this is not a key\n')
    const cases: [string, () => Promise<string[]>, RegExp, NodeJS.ProcessEnv?][] = [
      ['unknown image', async () => [`${registry.host}/does-not-exist:v1`, '--key', ours.key], /does-not-exist:v1 not found .*MANIFEST_UNKNOWN/],
      ['unreachable registry', async () => [`127.0.0.1:${await freePort()}/app:v1`, '--key', ours.key], /registry 127\.0\.0\.1:\d+: cannot reach 127\.0\.0\.1:\d+: connection refused/],
      ['missing key file', async () => [`${registry.host}/bad-input:v1`, '--key', join(work, 'nope.key')], /key file .*nope\.key not found/],
      ['wrong password', async () => [`${registry.host}/bad-input:v1`, '--key', ours.key], /wrong password for .*ours\.key/, {COSIGN_PASSWORD: 'not it'}],
      ['garbage PEM', async () => [`${registry.host}/bad-input:v1`, '--key', garbage], /garbage\.key .*(PEM|key)/i],
      ['-a without =', async () => [`${registry.host}/bad-input:v1`, '--key', ours.key, '-a', 'team'], /annotation "team" must be key=value/],
      ['bad reference', async () => ['Not A Reference', '--key', ours.key], /invalid image reference "Not A Reference"/],
    ]
    for (const [name, args, message, extraEnv] of cases) {
      it(name, async () => {
        await pushImage(client, `${registry.host}/bad-input:v1`)
        const before = await registrySnapshot(registry)
        const result = await runCli(['sign', ...(await args())], {env: {...env, ...extraEnv}})
        const line = assertOneLineError(result)
        assert.match(line, /^Error: /)
        assert.equal(line.split('\n').length, 1, line)
        assert.match(line, message)
        assert.deepEqual(await registrySnapshot(registry), before)
      })
    }
  })
})

describe('sign and verify against an htpasswd registry', () => {
  let registry: TestRegistry
  before(async () => {
    registry = await startRegistry({htpasswd: {username: 'ci', password: 'htpasswd-secret-1'}})
  })
  after(() => registry.stop())

  const client = () => testClient({resolve: async () => ({kind: 'basic', username: 'ci', password: 'htpasswd-secret-1'})})

  it('uses the docker config pack uses; cosign verifies with the same config', async () => {
    const image = await pushImage(client(), `${registry.host}/private:v1`)
    const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'ci', password: 'htpasswd-secret-1'}})
    const signed = await runCli(['sign', image.reference, '--key', ours.key], {env: {...env, DOCKER_CONFIG}})
    assert.equal(signed.code, 0, signed.stderr)
    const verified = await cosignVerify(image.reference, ours.pub, [], {DOCKER_CONFIG})
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('uses a credential helper on PATH (credHelpers)', async () => {
    const image = await pushImage(client(), `${registry.host}/helper:v1`)
    const helperDir = credentialHelperDir('testhelper', registry.host, 'ci', 'htpasswd-secret-1')
    const DOCKER_CONFIG = dockerConfigDir({}, {credHelpers: {[registry.host]: 'testhelper'}})
    const path = `${helperDir}:${process.env.PATH}`
    const signed = await runCli(['sign', image.reference, '--key', ours.key], {env: {...env, DOCKER_CONFIG, PATH: path}})
    assert.equal(signed.code, 0, signed.stderr)
    const verified = await runCli(['verify', image.reference, '--key', ours.pub], {env: {DOCKER_CONFIG, PATH: path}})
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('401 with wrong credentials: one line naming the registry, nothing written, no password shown', async () => {
    const image = await pushImage(client(), `${registry.host}/denied:v1`)
    const DOCKER_CONFIG = dockerConfigDir({[registry.host]: {username: 'ci', password: 'WRONG-sentinel-pw'}})
    const before = await registrySnapshot(registry)
    const result = await runCli(['sign', image.reference, '--key', ours.key], {env: {...env, DOCKER_CONFIG}})
    const line = assertOneLineError(result)
    assert.match(line, new RegExp(`registry ${registry.host.replace(/\./g, '\\.')} refused .*not authorized, HTTP 401`))
    assert.equal(result.code, 5)
    assert.doesNotMatch(result.stdout + result.stderr, /WRONG-sentinel-pw|correct horse/)
    assert.deepEqual(await registrySnapshot(registry), before)
  })

  it('anonymous access is refused with a hint about credentials', async () => {
    const result = await runCli(['verify', `${registry.host}/denied:v1`, '--key', ours.pub], {env: {DOCKER_CONFIG: dockerConfigDir({})}})
    assert.match(assertOneLineError(result), /not authorized.*check the credentials/)
  })
})
