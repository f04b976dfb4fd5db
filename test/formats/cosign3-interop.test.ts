/**
 * Plain signatures between us and the real cosign 3.1 (Debian forky), offline with a key file:
 * cosign 3.1 verifies what we sign in both formats, and we verify what cosign 3.1 signs.
 *
 * cosign 3 command lines that work here without Rekor, Fulcio, a TSA or TUF:
 *   verify (both formats):  cosign verify --key k.pub --insecure-ignore-tlog=true IMAGE
 *     (bundles are read from the referrers first, then the .sig tag; no --trusted-root needed)
 *   sign, bundle:  cosign signing-config create --no-default-fulcio --no-default-oidc --no-default-rekor --no-default-tsa --out sc.json
 *                  cosign sign --key k.key --signing-config sc.json -y IMAGE
 *   sign, classic: cosign sign --key k.key --use-signing-config=false --tlog-upload=false --new-bundle-format=false -y IMAGE
 *     (--tlog-upload=false is refused next to a signing config, and deprecated, but still works without one)
 */
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {runCli, runCosign3} from '../helpers/run.js'
import {fetchManifest} from '../helpers/snapshot.js'

const work = mkdtempSync(join(tmpdir(), 'cosign3-interop-'))

describe('plain signatures, interoperating with cosign 3.1', () => {
  let registry: TestRegistry
  let key: TestKey
  let other: TestKey
  const client = testClient()
  before(async () => {
    registry = await startRegistry()
    key = await generateTestKey(work, 'c3')
    other = await generateTestKey(work, 'c3-other')
  })
  after(() => registry.stop())

  const cosign3Verify = (pub: string, reference: string, ...extra: string[]) =>
    runCosign3(['verify', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', ...extra, reference])

  it('cosign 3.1 verify --key --insecure-ignore-tlog=true accepts our key signatures, classic (.sig) and bundle (referrer); annotations and the key are checked', async () => {
    for (const format of ['classic', 'bundle'] as const) {
      const image = await pushImage(client, `${registry.host}/ours-${format}:v1`)
      const reference = `${registry.host}/ours-${format}@${image.digest}`
      const signed = await runCli(['sign', reference, '--key', key.key, '--password-file', key.passwordFile, '--format', format, '-a', 'team=payments'])
      assert.equal(signed.code, 0, signed.stderr)

      const verified = await cosign3Verify(key.pub, reference, '-a', 'team=payments')
      assert.equal(verified.code, 0, `${format}: ${verified.stderr}`)
      const payloads = JSON.parse(verified.stdout) as {critical: {image: {'docker-manifest-digest': string}; type: string}; optional: Record<string, string>}[]
      assert.equal(payloads.length, 1, verified.stdout)
      assert.equal(payloads[0]!.critical.image['docker-manifest-digest'], image.digest)
      assert.equal(payloads[0]!.optional.team, 'payments')
      // A classic payload is a simple-signing document; a bundle's is the in-toto sign predicate.
      assert.equal(payloads[0]!.critical.type, format === 'classic' ? 'cosign container image signature' : 'https://sigstore.dev/cosign/sign/v1')

      const wrongAnnotation = await cosign3Verify(key.pub, reference, '-a', 'team=other')
      assert.notEqual(wrongAnnotation.code, 0, `${format}: a wrong annotation passed`)
      const wrongKey = await cosign3Verify(other.pub, reference)
      assert.notEqual(wrongKey.code, 0, `${format}: another key passed`)
      if (format === 'bundle') {
        // Read from the referrer: cosign 3.1 told to use the old format alone finds nothing.
        const classicOnly = await cosign3Verify(key.pub, reference, '--new-bundle-format=false')
        assert.notEqual(classicOnly.code, 0)
        assert.match(classicOnly.stderr, /no signatures found/)
      }
    }
  })

  it('our verify accepts what cosign 3.1 signs offline: a bundle (signing config without services) and a .sig (--use-signing-config=false)', async () => {
    const env = {COSIGN_PASSWORD: key.password, HOME: work}
    const config = join(work, 'signing-config.json')
    const created = await runCosign3(['signing-config', 'create', '--no-default-fulcio', '--no-default-oidc', '--no-default-rekor', '--no-default-tsa', '--out', config], {env})
    assert.equal(created.code, 0, created.stderr)

    const bundled = await pushImage(client, `${registry.host}/theirs-bundle:v1`)
    const bundleReference = `${registry.host}/theirs-bundle@${bundled.digest}`
    const signedBundle = await runCosign3(['sign', '--key', key.key, '--signing-config', config, '-y', '--allow-http-registry', bundleReference], {env})
    assert.equal(signedBundle.code, 0, signedBundle.stderr)
    // cosign 3.1's fallback referrers index lists its bundle with the config's artifactType
    // (application/vnd.oci.empty.v1+json) and no annotations, where we copy the manifest's; our
    // verify must not pick bundles by the index entry alone.
    const index = await fetchManifest(registry, 'theirs-bundle', `sha256-${bundled.digest.slice(7)}`)
    assert.equal(index.json.manifests.length, 1)
    const ours = await runCli(['verify', bundleReference, '--key', key.pub, '--json'])
    assert.equal(ours.code, 0, ours.stderr)
    assert.deepEqual((JSON.parse(ours.stdout) as {format: string}[]).map((v) => v.format), ['bundle'])

    const classic = await pushImage(client, `${registry.host}/theirs-classic:v1`)
    const classicReference = `${registry.host}/theirs-classic@${classic.digest}`
    const signedClassic = await runCosign3(
      ['sign', '--key', key.key, '--use-signing-config=false', '--tlog-upload=false', '--new-bundle-format=false', '-y', '--allow-http-registry', classicReference],
      {env},
    )
    assert.equal(signedClassic.code, 0, signedClassic.stderr)
    const oursClassic = await runCli(['verify', classicReference, '--key', key.pub, '--json'])
    assert.equal(oursClassic.code, 0, oursClassic.stderr)
    assert.deepEqual((JSON.parse(oursClassic.stdout) as {format: string}[]).map((v) => v.format), ['classic'])
    assert.notEqual((await runCli(['verify', classicReference, '--key', other.pub])).code, 0)
  })
})
