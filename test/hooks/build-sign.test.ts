import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli, runCosign} from '../helpers/run.js'
import {registrySnapshot} from '../helpers/snapshot.js'
import {runHost} from '../host/run-host.js'
import {type SigningSetup, signingSetup} from '../host/signing-setup.js'

const work = mkdtempSync(join(tmpdir(), 'build-sign-'))

/** A fresh working directory per build: the host writes layers/report.toml there. */
function buildHere(args: string[], env: NodeJS.ProcessEnv = {}) {
  return runHost(['build', ...args], {cwd: mkdtempSync(join(work, 'cwd-')), env})
}

function cosignVerify(pub: string, image: string, extra: string[] = []) {
  return runCosign([...extra, '--key', pub, '--insecure-ignore-tlog', '--allow-http-registry', image])
}

/** Tags of the signature/attestation images in a snapshot. */
function signatureTags(snapshot: Record<string, string>): string[] {
  return Object.keys(snapshot).filter((k) => /:sha256-[0-9a-f]{64}\.(sig|att)$/.test(k))
}

describe('pack-ts build --sign and pack-ts sign, through the host binary', () => {
  let registry: TestRegistry
  let keys: SigningSetup

  before(async () => {
    ;[registry, keys] = await Promise.all([startRegistry(), signingSetup(work)])
  })
  after(() => registry.stop())

  it('build --sign signs the report\'s digest and attests the SBOM; cosign verifies both', async () => {
    const image = `${registry.host}/app:v1`
    const built = await buildHere([image, '--publish', '--sign', '--cosign-config', keys.cosignConfig])
    assert.equal(built.code, 0, built.stderr)
    const [first, ...signed] = built.stdout.trim().split('\n')
    assert.equal(first, `Successfully built image ${image}`)
    assert.match(signed[0]!, new RegExp(`^Signed ${registry.host}/app@sha256:[0-9a-f]{64} → ${registry.host}/app:sha256-[0-9a-f]{64}\\.sig \\[configs\\[0\\]\\]$`))
    assert.ok(signed.some((l) => l.startsWith('Attested ') && l.includes('(https://cyclonedx.org/bom)')), built.stdout)
    // Not a TTY: listr2's plain renderer, one line per event, on stderr.
    assert.match(built.stderr, /^✔ Preflight: read access, digests, write access, keys$/m)
    assert.match(built.stderr, /^✔ Export the SBOM$/m)

    const verified = await cosignVerify(keys.pub, image, ['verify'])
    assert.equal(verified.code, 0, verified.stderr)
    const attested = await cosignVerify(keys.pub, image, ['verify-attestation', '--type', 'cyclonedx'])
    assert.equal(attested.code, 0, attested.stderr)
  })

  it('without --sign the build is untouched; pack-ts sign --report signs its report afterwards', async () => {
    const image = `${registry.host}/later:v1`
    const cwd = mkdtempSync(join(work, 'cwd-'))
    const built = await runHost(['build', image, '--publish'], {cwd})
    assert.deepEqual({code: built.code, stdout: built.stdout, stderr: built.stderr}, {code: 0, stdout: `Successfully built image ${image}\n`, stderr: ''})
    assert.deepEqual(signatureTags(await registrySnapshot(registry)).filter((t) => t.startsWith('later:')), [])

    const signed = await runHost(['sign', '--report', 'layers/report.toml', '--cosign-config', keys.cosignConfig], {cwd})
    assert.equal(signed.code, 0, signed.stderr)
    assert.match(signed.stdout, /^Signed .*later@sha256:/m)
    assert.equal((await cosignVerify(keys.pub, image, ['verify'])).code, 0)
  })

  it('takes the report as an object too; --quiet leaves only the build\'s own output', async () => {
    const image = `${registry.host}/object:v1`
    const built = await buildHere([image, '--publish', '--report-as', 'object', '--sign', '--cosign-config', keys.cosignConfig, '--quiet'])
    assert.deepEqual({code: built.code, stdout: built.stdout, stderr: built.stderr}, {code: 0, stdout: `Successfully built image ${image}\n`, stderr: ''})
    const verified = await runHost(['verify', image, '--key', keys.pub])
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('build --help lists the added flags; other commands do not get them', async () => {
    const help = await runHost(['build', '--help'])
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^SIGN FLAGS$/m)
    assert.match(help.stdout, /--sign\s+After a successful build/)
    assert.match(help.stdout, /--cosign-config=FILE/)
    const signHelp = await runHost(['sign', '--help'])
    assert.doesNotMatch(signHelp.stdout, /SIGN FLAGS|After a successful build/)
    // Standalone there is no build to extend: the hooks stay out of the way.
    const standalone = await runCli(['sign', '--help'])
    assert.equal(standalone.code, 0, standalone.stderr)
    assert.doesNotMatch(standalone.stdout, /SIGN FLAGS/)
  })

  it('fails before the build runs when --sign has no valid config or key: nothing is pushed', async () => {
    const before = await registrySnapshot(registry)
    const image = `${registry.host}/never:v1`
    const badConfig = join(work, 'bad.toml')
    writeFileSync(badConfig, '[[configs]]\nkey = "k.key"\npasword = "pw.txt"\n')
    const wrongPassword = join(work, 'wrong-password.toml')
    writeFileSync(join(work, 'wrong.txt'), 'not the password\n')
    writeFileSync(wrongPassword, '[[configs]]\nkey = "k.key"\npassword = "wrong.txt"\n')
    const keyless = join(work, 'keyless.toml')
    writeFileSync(keyless, '[[configs]]\nkeyless = true\n')
    const cases: [string[], number, RegExp][] = [
      [['--sign'], 2, /^Error: --sign needs --cosign-config FILE/],
      [['--cosign-config', keys.cosignConfig], 2, /^Error: --cosign-config is used with --sign/],
      [['--sign', '--cosign-config', join(work, 'missing.toml')], 2, /^Error: cosign config .*missing\.toml not found/],
      [['--sign', '--cosign-config', badConfig], 2, /unknown key "pasword"/],
      [['--sign', '--cosign-config', wrongPassword], 3, /k\.key/],
      [['--sign', '--cosign-config', keyless], 2, /keyless signing needs an OIDC identity token/],
    ]
    for (const [flags, code, message] of cases) {
      const result = await buildHere([image, '--publish', ...flags], {COSIGN_PASSWORD: 'not the password either'})
      assert.equal(result.code, code, `${flags.join(' ')}: ${result.stderr}`)
      const error = assertOneLineError(result)
      assert.match(error, message)
      assert.match(error, /the build did not run\)$/)
      assert.equal(result.stdout, '')
    }

    assert.deepEqual(await registrySnapshot(registry), before)
  })

  it('a failed build is not signed', async () => {
    const built = await buildHere([`${registry.host}/failed:v1`, '--publish', '--fail', '--sign', '--cosign-config', keys.cosignConfig])
    assert.equal(built.code, 3, built.stderr)
    assert.match(built.stderr, /export failed after pushing/)
    assert.doesNotMatch(built.stderr + built.stdout, /Preflight|Signed/)
    assert.deepEqual(signatureTags(await registrySnapshot(registry)).filter((t) => t.startsWith('failed:')), [])
  })

  it('a build that resolves no report fails with the host contract error', async () => {
    const built = await buildHere([`${registry.host}/noreport:v1`, '--publish', '--report-as', 'none', '--sign', '--cosign-config', keys.cosignConfig])
    assert.equal(built.code, 12)
    assert.match(assertOneLineError(built), /^Error: cannot sign: pack-ts build resolved no report or reportPath, which breaks the host contract: .*\{report\}.*\{reportPath\}/)
  })

  it('a daemon export (no --publish) cannot be signed: the report has no digest', async () => {
    const built = await buildHere([`${registry.host}/daemon:v1`, '--sign', '--cosign-config', keys.cosignConfig])
    assert.equal(built.code, 2)
    assert.match(assertOneLineError(built), /no image\.digest.*build with --publish$/)
  })
})
