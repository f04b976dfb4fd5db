/**
 * Issue 16 end to end: `--key pkcs11:…` with keys held in a SoftHSM2 token (made with pkcs11-tool),
 * signing images in both formats, the signer phase with a file key and a token key in one
 * cosign.toml, `verify --key pkcs11:`, the `pkcs11` commands, and every bad input as one line with
 * a key-class exit code, the PIN in no output, and nothing written. cosign 2.5 and 3.1 verify with
 * the public key exported from the token (`pkcs11 list-keys --json`).
 */
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushReleaseImage} from '../../fixtures/release-image.js'
import {pushImage, testClient} from '../../helpers/images.js'
import {generateTestKey, type TestKey} from '../../helpers/keys.js'
import {repoRoot} from '../../helpers/paths.js'
import {type TestRegistry, startRegistry} from '../../helpers/registry.js'
import {writeFile, writeReport} from '../../helpers/report.js'
import {assertOneLineError, run, type RunResult, runCli, runCosign, runCosign3} from '../../helpers/run.js'
import {registrySnapshot} from '../../helpers/snapshot.js'
import {runHost} from '../../host/run-host.js'
import {createSoftHsm, SOFTHSM_MODULE, type SoftHsmToken} from '../../helpers/softhsm.js'

const work = mkdtempSync(join(tmpdir(), 'pkcs11-sign-'))
const hsm = createSoftHsm()
const PIN = 'hsm-pin-7c1e'
const SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1'
// A trusted root naming no authorities: with --key and --insecure-ignore-tlog, cosign 2.5 needs nothing else for bundles.
const trustedRoot = join(work, 'trusted-root.json')
writeFileSync(trustedRoot, JSON.stringify({mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []}))

/** Our CLI with the token store, the PIN from COSIGN_PASSWORD unless env says otherwise. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {COSIGN_PASSWORD: PIN}) => runCli(args, {env: {...hsm.env, ...env}})

const cosign25 = {
  verify: (pub: string, ref: string, ...extra: string[]) => runCosign(['verify', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', ...extra, ref]),
  /** cosign 2.5 reads a signature bundle only as an attestation of the sign predicate. */
  verifyBundle: (pub: string, ref: string) =>
    runCosign(['verify-attestation', '--new-bundle-format', '--trusted-root', trustedRoot, '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', SIGN_PREDICATE, ref]),
  verifyAttestation: (pub: string, ref: string, type: string) => runCosign(['verify-attestation', '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', '--type', type, ref]),
}
const cosign31 = {
  verify: (pub: string, ref: string, ...extra: string[]) => runCosign3(['verify', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', ...extra, ref]),
  verifyAttestation: (pub: string, ref: string, type: string) => runCosign3(['verify-attestation', '--key', pub, '--insecure-ignore-tlog=true', '--allow-http-registry', '--type', type, ref]),
}

/** One `Error: …` line, exit 3 (the key class), without the PIN. */
function keyError(result: RunResult, fragment: string | RegExp, ...secrets: string[]): string {
  const line = assertOneLineError(result)
  assert.equal(line.split('\n').length, 1, line)
  assert.match(line, /^Error: /)
  if (typeof fragment === 'string') assert.ok(line.includes(fragment), `"${line}" lacks "${fragment}"`)
  else assert.match(line, fragment)
  assert.equal(result.code, 3, line)
  for (const secret of [PIN, ...secrets]) assert.ok(!(result.stdout + result.stderr).includes(secret), `the PIN ${secret} is in the output:\n${result.stderr}`)
  return line
}

describe('pkcs11: keys in a SoftHSM2 token, end to end', () => {
  let registry: TestRegistry
  let token: SoftHsmToken
  let lockedToken: SoftHsmToken
  let fileKey: TestKey
  const client = testClient()
  const pub: Record<string, string> = {}
  const uri = (object: string, query: Record<string, string> = {}) => hsm.uri(token, {object}, query)

  before(async () => {
    token = hsm.initToken('release', PIN)
    hsm.generateKey(token, 'EC:prime256v1', 'p256', '01')
    hsm.generateKey(token, 'EC:secp384r1', 'p384', '02')
    hsm.generateKey(token, 'rsa:2048', 'rsa', '03')
    hsm.generateKey(token, 'EC:secp256k1', 'k1', '04')
    lockedToken = hsm.initToken('locked', 'locked-pin-9a')
    hsm.generateKey(lockedToken, 'EC:prime256v1', 'p256', '01')
    hsm.lockUserPin(lockedToken)
    ;[registry, fileKey] = await Promise.all([startRegistry(), generateTestKey(work, 'file')])
    // The public keys, exported from the token as a user would for cosign.
    const listed = await cli(['pkcs11', 'list-keys', '--module-path', SOFTHSM_MODULE, '--token', 'release', '--json'])
    assert.equal(listed.code, 0, listed.stderr)
    for (const key of JSON.parse(listed.stdout) as {label: string; publicKey?: string}[]) {
      if (!key.publicKey) continue
      pub[key.label] = writeFile(work, `${key.label}.pub`, key.publicKey)
    }
  })
  after(() => registry.stop())

  it('P-256: sign IMAGE --key pkcs11: in both formats; cosign 2.5, cosign 3.1 and our verify --key pkcs11: accept them', async () => {
    for (const format of ['classic', 'bundle'] as const) {
      const image = await pushImage(client, `${registry.host}/p256-${format}:v1`)
      const ref = `${registry.host}/p256-${format}@${image.digest}`
      const signed = await cli(['sign', image.reference, '--key', uri('p256'), '--format', format, '-a', 'team=payments'])
      assert.equal(signed.code, 0, signed.stderr)
      assert.ok(!signed.stdout.includes(PIN) && !signed.stderr.includes(PIN))

      const v3 = await cosign31.verify(pub.p256!, ref, '-a', 'team=payments')
      assert.equal(v3.code, 0, `cosign 3.1, ${format}: ${v3.stderr}`)
      const v25 = format === 'classic' ? await cosign25.verify(pub.p256!, ref, '-a', 'team=payments') : await cosign25.verifyBundle(pub.p256!, ref)
      assert.equal(v25.code, 0, `cosign 2.5, ${format}: ${v25.stderr}`)

      // Our verify reads the public key from the token: no PIN, no exported file.
      const ours = await cli(['verify', ref, '--key', uri('p256'), '-a', 'team=payments', '--json'], {})
      assert.equal(ours.code, 0, ours.stderr)
      assert.deepEqual((JSON.parse(ours.stdout) as {format: string}[]).map((v) => v.format), [format])
      const plain = await cli(['verify', ref, '--key', uri('p256', {'pin-value': PIN})], {})
      assert.equal(plain.code, 0, plain.stderr)
      assert.match(plain.stderr, /^Verified 1 signature\(s\) on .* with pkcs11:token=release;object=p256\?module-path=\/usr\/lib\/softhsm\/libsofthsm2\.so \(/m)
      assert.ok(!(plain.stdout + plain.stderr).includes(PIN), 'the pin-value is left out of what is printed')
      // Another key of the token does not verify it.
      const other = await cli(['verify', ref, '--key', uri('rsa')], {})
      assert.equal(other.code, 10, other.stderr)
    }
  })

  it('P-384 (ECDSA over SHA-384, as our P-384 key files) and RSA 2048 (PKCS#1 v1.5, SHA-256): cosign 2.5 and 3.1 verify both formats (P-384 with --signature-digest-algorithm sha384)', async () => {
    for (const key of ['p384', 'rsa']) {
      const image = await pushImage(client, `${registry.host}/${key}:v1`)
      const ref = `${registry.host}/${key}@${image.digest}`
      const signed = await cli(['sign', image.reference, '--key', uri(key), '--format', 'both'])
      assert.equal(signed.code, 0, signed.stderr)
      const digest = key === 'p384' ? ['--signature-digest-algorithm', 'sha384'] : []
      for (const bundles of ['true', 'false']) {
        const v3 = await cosign31.verify(pub[key]!, ref, ...digest, `--new-bundle-format=${bundles}`)
        assert.equal(v3.code, 0, `cosign 3.1, ${key}, bundles ${bundles}: ${v3.stderr}`)
      }

      const v25 = await cosign25.verify(pub[key]!, ref, ...digest)
      assert.equal(v25.code, 0, `cosign 2.5, ${key}: ${v25.stderr}`)
      // cosign checks signatures with SHA-256 unless told otherwise (its own PKCS#11 signer hashes
      // every key with SHA-256): measured, so a change in either shows up.
      if (key === 'p384') assert.notEqual((await cosign31.verify(pub[key]!, ref)).code, 0)
      const ours = await cli(['verify', ref, '--key', uri(key), '--json'], {})
      assert.equal(ours.code, 0, ours.stderr)
      assert.deepEqual((JSON.parse(ours.stdout) as {format: string}[]).map((v) => v.format).sort(), ['bundle', 'classic'])
    }
  })

  it('the signer phase with a file key and a token key in one cosign.toml: preflight loads both, signatures, SBOM attestations and provenance in both formats, verified by cosign 2.5, cosign 3.1 and verify --report', async () => {
    const tags = [`${registry.host}/release:1.0`, `${registry.host}/release:latest`]
    const image = await pushReleaseImage(client, tags)
    const report = writeReport(work, tags, image.digest, 'release-report.toml')
    const pinFile = writeFile(work, 'token.pin', `${PIN}\n`)
    const config = writeFile(
      work,
      'cosign.toml',
      `[[configs]]\nkey = "${fileKey.key}"\npassword = "${fileKey.passwordFile}"\n\n` +
        `[[configs]]\nkey = "${uri('p256')}"\npassword = "${pinFile}"\nformat = "both"\nprovenance = true\n`,
    )
    const signed = await cli(['sign', '--report', report, '--cosign-config', config, '--json'], {})
    assert.equal(signed.code, 0, signed.stderr)
    const pushed = JSON.parse(signed.stdout).pushed as {kind: string; predicateType?: string}[]
    assert.ok(pushed.length > 0)
    assert.ok(!signed.stdout.includes(PIN) && !signed.stderr.includes(PIN))
    const ref = `${registry.host}/release@${image.digest}`

    // The token key: classic .sig and .att for cosign 2.5, bundles for cosign 3.1.
    const sig = await cosign25.verify(pub.p256!, ref)
    assert.equal(sig.code, 0, sig.stderr)
    const sbom = await cosign25.verifyAttestation(pub.p256!, ref, 'cyclonedx')
    assert.equal(sbom.code, 0, sbom.stderr)
    const provenance = await cosign25.verifyAttestation(pub.p256!, ref, 'slsaprovenance1')
    assert.equal(provenance.code, 0, provenance.stderr)
    const bundle = await cosign31.verify(pub.p256!, ref)
    assert.equal(bundle.code, 0, bundle.stderr)
    const spdx = await cosign31.verifyAttestation(pub.p256!, ref, 'spdxjson')
    assert.equal(spdx.code, 0, spdx.stderr)
    // The file key signed its own classic signature next to it.
    assert.equal((await cosign25.verify(fileKey.pub, ref)).code, 0)

    // verify --report with the same cosign.toml: the token key's public half is read from the token.
    const verified = await cli(['verify', '--report', report, '--cosign-config', config, '--json'], {})
    assert.equal(verified.code, 0, verified.stderr)
    const checks = JSON.parse(verified.stdout).checks as {ok: boolean; check: string; config?: number}[]
    assert.ok(checks.every((c) => c.ok))
    assert.equal(checks.filter((c) => c.config === 1 && c.check === 'sbom').length, 2 * 9, 'nine SBOM documents, in both formats')
    assert.ok(checks.some((c) => c.config === 1 && c.check === 'provenance'))
  })

  it('build --sign through the host: the token key is checked before the build and signs after it', async () => {
    const image = `${registry.host}/built:v1`
    const pinFile = writeFile(work, 'build.pin', `${PIN}\n`)
    const config = writeFile(work, 'build-cosign.toml', `[[configs]]\nkey = "${uri('p256')}"\npassword = "${pinFile}"\n`)
    const built = await runHost(['build', image, '--publish', '--sign', '--cosign-config', config], {cwd: mkdtempSync(join(work, 'cwd-')), env: hsm.env})
    assert.equal(built.code, 0, built.stderr)
    assert.match(built.stdout, /^Signed .*built@sha256:[0-9a-f]{64} → .* \[configs\[0\]\]$/m)
    assert.equal((await cosign25.verify(pub.p256!, image)).code, 0)
    assert.equal((await cosign25.verifyAttestation(pub.p256!, image, 'cyclonedx')).code, 0)
  })

  it('each bad input is one line with a key-class exit code (3), the PIN is never printed, and nothing is written', async () => {
    const image = await pushImage(client, `${registry.host}/refused:v1`)
    const before = await registrySnapshot(registry)
    const text = writeFile(work, 'not-a-library.so', 'not a shared library\n')
    const library = join(repoRoot, 'node_modules/pkcs11js/build/Release/pkcs11.node')
    const wrongPin = 'SENTINEL-wrong-pin-41d0'
    const sign = (key: string, env?: NodeJS.ProcessEnv, ...extra: string[]) => cli(['sign', image.reference, '--key', key, ...extra], env)

    keyError(await sign(uri('p256'), {COSIGN_PASSWORD: wrongPin}), 'token "release" (slot-id', wrongPin)
    const json = await sign(uri('p256'), {COSIGN_PASSWORD: wrongPin}, '--json')
    assert.equal(json.code, 3)
    assert.equal(JSON.parse(json.stdout).error.code, 'KEY_PASSWORD')
    assert.ok(!(json.stdout + json.stderr).includes(wrongPin) && !(json.stdout + json.stderr).includes(PIN))
    keyError(await sign(uri('p256', {'pin-value': wrongPin}), {}), 'wrong PIN (CKR_PIN_INCORRECT)', wrongPin)
    const pinFile = writeFile(work, 'wrong.pin', `${wrongPin}\n`)
    keyError(await sign(uri('p256'), {}, '--password-file', pinFile), 'wrong PIN', wrongPin)
    keyError(await sign(uri('p256'), {}), 'token "release" (slot-id') // no PIN anywhere, no terminal
    keyError(await sign(hsm.uri(lockedToken, {object: 'p256'}), {COSIGN_PASSWORD: 'locked-pin-9a'}), 'the user PIN is locked', 'locked-pin-9a')
    keyError(await sign(`pkcs11:token=release;object=p256?module-path=/nonexistent/libp11.so`), 'PKCS#11 module /nonexistent/libp11.so not found')
    keyError(await sign(`pkcs11:token=release;object=p256?module-path=${text}`), `${text} is not a PKCS#11 module`)
    keyError(await sign(`pkcs11:token=release;object=p256?module-path=${library}`), 'is not a PKCS#11 module: it has no C_GetFunctionList')
    keyError(await sign(hsm.uri({...token, label: 'absent'}, {object: 'p256'})), 'no token with label "absent"')
    keyError(await sign(uri('absent')), 'no private key with object="absent" in token "release"')
    keyError(await sign(uri('k1')), 'EC key on curve secp256k1, which is not supported')
    keyError(await sign(`pkcs11:object=p256?module-path=${SOFTHSM_MODULE}&pin-value=${wrongPin}`), 'name the token with token=LABEL or slot-id=N', wrongPin)
    keyError(await cli(['verify', image.reference, '--key', uri('absent')], {}), 'no public key object with object="absent"')

    // The signer phase refuses in preflight (exit 8, as for any key), naming the token's reason.
    const report = writeReport(work, [image.reference], image.digest, 'refused-report.toml')
    const config = writeFile(work, 'refused.toml', `[[configs]]\nkey = "${uri('p256', {'pin-value': wrongPin})}"\n`)
    const phase = await cli(['sign', '--report', report, '--cosign-config', config], {})
    const line = assertOneLineError(phase)
    assert.equal(phase.code, 8, line)
    assert.match(line, /load key of configs\[0\] \(pkcs11:token=release;object=p256\?module-path=[^)]*\): token "release" \(slot-id \d+\): wrong PIN/)
    assert.ok(!(phase.stdout + phase.stderr).includes(wrongPin), phase.stderr)
    assert.deepEqual(await registrySnapshot(registry), before, 'nothing was written')
  })

  it('pkcs11 list-tokens and list-keys print what cosign pkcs11-tool prints, and --json', async () => {
    const tokens = await cli(['pkcs11', 'list-tokens', '--module-path', SOFTHSM_MODULE], {})
    assert.equal(tokens.code, 0, tokens.stderr)
    assert.ok(tokens.stdout.startsWith(`Listing tokens of PKCS11 module '${SOFTHSM_MODULE}'\n`), tokens.stdout)
    assert.ok(tokens.stdout.includes(`Token in slot ${token.slotId}\n\tLabel: release\n\tManufacturer: SoftHSM project\n\tModel: SoftHSM v2\n\tS/N: `), tokens.stdout)
    const json = await cli(['pkcs11', 'list-tokens', '--module-path', SOFTHSM_MODULE, '--json'], {})
    const listed = JSON.parse(json.stdout) as {slotId: string; label: string; initialized: boolean}[]
    assert.deepEqual(listed.filter((t) => t.initialized).map((t) => [t.label, t.slotId]).sort(), [['locked', lockedToken.slotId], ['release', token.slotId]].sort())

    const keys = await cli(['pkcs11', 'list-keys', '--module-path', SOFTHSM_MODULE, '--slot-id', token.slotId])
    assert.equal(keys.code, 0, keys.stderr)
    const p256 = `pkcs11:token=release;slot-id=${token.slotId};id=%01;object=p256?module-path=${SOFTHSM_MODULE}`
    assert.ok(keys.stdout.includes(`Object 0\n\tLabel: p256\n\tID: 01\n\tType: ECDSA P-256\n\tURI: ${p256}\n`), keys.stdout)
    assert.ok(keys.stdout.includes('\tType: EC (cannot sign here: '), keys.stdout)
    assert.ok(!keys.stdout.includes(PIN))
    // The URI list-keys prints is what --key takes.
    const image = await pushImage(client, `${registry.host}/listed:v1`)
    assert.equal((await cli(['sign', image.reference, '--key', p256])).code, 0)

    const noPin = await cli(['pkcs11', 'list-keys', '--module-path', SOFTHSM_MODULE, '--token', 'release'], {})
    keyError(noPin, 'needs its PIN')
    keyError(await cli(['pkcs11', 'list-tokens', '--module-path', '/nonexistent/libp11.so'], {}), 'PKCS#11 module /nonexistent/libp11.so not found')
    const usage = await cli(['pkcs11', 'list-keys', '--module-path', SOFTHSM_MODULE], {})
    assert.equal(usage.code, 2, usage.stderr)
    assert.match(assertOneLineError(usage), /--slot-id N or --token LABEL/)
  })

  it('without the native binding, everything else works and a pkcs11: key fails with one clear line', async () => {
    // A copy of the plugin whose node_modules lacks pkcs11js, as npm leaves it when node-gyp cannot build it.
    const copy = mkdtempSync(join(tmpdir(), 'pkcs11-absent-'))
    for (const entry of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(repoRoot, entry), join(copy, entry), {recursive: true})
    mkdirSync(join(copy, 'node_modules'))
    for (const name of readdirSync(join(repoRoot, 'node_modules'))) {
      if (name !== 'pkcs11js' && name !== '.bin') symlinkSync(join(repoRoot, 'node_modules', name), join(copy, 'node_modules', name))
    }

    const copyCli = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(copy, 'bin', 'run.js'), ...args], {env: {...hsm.env, ...env}})
    const image = await pushImage(client, `${registry.host}/no-binding:v1`)
    const before = await registrySnapshot(registry)
    for (const args of [
      ['sign', image.reference, '--key', uri('p256')],
      ['verify', image.reference, '--key', uri('p256')],
      ['pkcs11', 'list-tokens', '--module-path', SOFTHSM_MODULE],
    ]) {
      keyError(await copyCli(args, {COSIGN_PASSWORD: PIN}), /^Error: PKCS#11 support is not installed: its native binding pkcs11js is not installed; npm builds this optional dependency with node-gyp/)
    }

    assert.deepEqual(await registrySnapshot(registry), before)
    const signed = await copyCli(['sign', image.reference, '--key', fileKey.key, '--password-file', fileKey.passwordFile])
    assert.equal(signed.code, 0, signed.stderr)
    assert.equal((await copyCli(['verify', image.reference, '--key', fileKey.pub])).code, 0)
  })
})
