import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushReleaseImage, type ReleaseSbom} from '../fixtures/release-image.js'
import {pushImage, pushIndex, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {writeFile, writeReport} from '../helpers/report.js'
import {assertOneLineError, runCli, runCosign, runCosign3} from '../helpers/run.js'

// `verify --report --cosign-config`: a whole release checked as it was signed, by us or by a
// cosign script, in both formats; and each way a release can be incomplete, named.

const work = mkdtempSync(join(tmpdir(), 'release-verify-'))
const TYPE = {cdx: 'cyclonedx', spdx: 'spdxjson', syft: 'https://syft.dev/bom'} as const

interface Check {
  check: string
  image: string
  config?: number
  format?: string
  document?: string
  ok: boolean
  reason?: string
}

describe('verify --report --cosign-config: a release against the cosign.toml that signed it', () => {
  let registry: TestRegistry
  let a: TestKey
  let b: TestKey
  const client = testClient()
  let n = 0

  before(async () => {
    ;[registry, a, b] = await Promise.all([startRegistry(), generateTestKey(work, 'rel-a'), generateTestKey(work, 'rel-b')])
  })
  after(() => registry.stop())

  /** A fresh 9-document release image under two tags, and its report.toml. */
  async function release(name: string) {
    const tags = [`${registry.host}/${name}:v1`, `${registry.host}/${name}:latest`]
    const pushed = await pushReleaseImage(client, tags)
    return {...pushed, tags, report: writeReport(work, tags, pushed.digest, `${name}-report.toml`)}
  }

  const toml = (configs: string[], annotations = 'team = "payments"') =>
    writeFile(work, `cosign-${n++}.toml`, `[[annotations]]\n${annotations.replace(/^(\w+) = (.*)$/, 'name = "$1"\nvalue = $2')}\n\n${configs.map((c) => `[[configs]]\n${c}`).join('\n\n')}\n`)
  const keyConfig = (key: TestKey, extra = '') => `key = "${key.key}"\npassword = "${key.passwordFile}"\n${extra}`
  const pubConfig = (key: TestKey, extra = '') => `public-key = "${key.pub}"\n${extra}`
  const verify = (report: string, config: string, ...extra: string[]) => runCli(['verify', '--report', report, '--cosign-config', config, ...extra])
  const checks = (stdout: string): Check[] => JSON.parse(stdout).checks
  const failure = (result: Awaited<ReturnType<typeof runCli>>) => {
    assert.equal(result.code, 10, result.stderr)
    return assertOneLineError(result).split('\n').at(-1)!
  }

  it('a release we signed with two keys (9 SBOM documents, provenance) passes, from public keys or the signing keys themselves', async () => {
    const rel = await release('ours')
    const settings = 'export-sbom = "attestation"\nprovenance = true'
    const signed = await runCli(['sign', '--report', rel.report, '--cosign-config', toml([keyConfig(a, settings), keyConfig(b, settings)])])
    assert.equal(signed.code, 0, signed.stderr)

    const result = await verify(rel.report, toml([pubConfig(a, settings), pubConfig(b, settings)]), '--json')
    assert.equal(result.code, 0, result.stderr)
    const all = checks(result.stdout)
    // 2 tags + 2 configs × (1 signature + 9 SBOM documents + 1 provenance)
    assert.equal(all.length, 24)
    assert.ok(all.every((c) => c.ok))
    assert.deepEqual(all.filter((c) => c.check === 'sbom' && c.config === 1).map((c) => c.document).sort(), rel.sbom.documents.map((d) => d.path).sort())

    const derived = await verify(rel.report, toml([keyConfig(a, settings), keyConfig(b, settings)]))
    assert.equal(derived.code, 0, derived.stderr)
    assert.match(derived.stderr, /^✔ configs\[1\] \(.*rel-b\.key\) in .*\/ours$/m)
    assert.match(derived.stderr, /^Verified sha256:[0-9a-f]{64} \(2 tags\) against 2 configs of .*: all 24 checks passed$/m)
  })

  it('format = "both": each check holds in each format', async () => {
    const rel = await release('both')
    const settings = 'format = "both"\nprovenance = true'
    const signed = await runCli(['sign', '--report', rel.report, '--cosign-config', toml([keyConfig(a, settings)])])
    assert.equal(signed.code, 0, signed.stderr)
    const result = await verify(rel.report, toml([pubConfig(a, settings)]), '--json')
    assert.equal(result.code, 0, result.stderr)
    const all = checks(result.stdout)
    assert.equal(all.length, 2 + 2 * (1 + 9 + 1))
    assert.deepEqual(new Set(all.filter((c) => c.format).map((c) => c.format)), new Set(['classic', 'bundle']))
  })

  it('export-sbom = "attachment" checks the attachment; recursive checks each platform manifest', async () => {
    const rel = await release('attached')
    const attached = await runCli(['sign', '--report', rel.report, '--cosign-config', toml([keyConfig(a, 'export-sbom = "attachment"')])])
    assert.equal(attached.code, 0, attached.stderr)
    const result = await verify(rel.report, toml([pubConfig(a, 'export-sbom = "attachment"')]), '--json')
    assert.equal(result.code, 0, result.stderr)
    const attachment = checks(result.stdout).filter((c) => c.check === 'attachment')
    assert.deepEqual(attachment.map((c) => [c.ok, c.document?.endsWith('.cdx.json')]), [[true, true]])
    // Nothing attached: the same release fails that check, named.
    const notAttached = await release('not-attached')
    await runCli(['sign', '--report', notAttached.report, '--cosign-config', toml([keyConfig(a, 'export-sbom = "none"')])])
    const missing = await verify(notAttached.report, toml([pubConfig(a, 'export-sbom = "attachment"')]))
    assert.match(failure(missing), /^Error: 1 of 4 checks failed: configs\[0\] attachment layers\/sbom\/.*\.cdx\.json on .*: no sha256-[0-9a-f]{64}\.sbom in /)

    const index = await pushIndex(client, `${registry.host}/multi-arch:v1`)
    const report = writeReport(work, [index.reference], index.digest, 'multi-arch-report.toml')
    const signed = await runCli(['sign', '--report', report, '--cosign-config', toml([keyConfig(a, 'recursive = true')])])
    assert.equal(signed.code, 0, signed.stderr)
    const recursive = await verify(report, toml([pubConfig(a, 'recursive = true')]), '--json')
    assert.equal(recursive.code, 0, recursive.stderr)
    const signatures = checks(recursive.stdout).filter((c) => c.check === 'signature')
    assert.deepEqual(signatures.map((c) => c.image.split('@')[1]), [index.digest, ...index.children.map((c) => c.digest)])
  })

  /** cosign's way: `sign` per key, then `attest` per document (the shell loop a release script runs). */
  async function cosignScript(rel: {digest: string; sbom: ReleaseSbom}, name: string, key: TestKey, options: {skip?: string; tamper?: string; v3?: string} = {}) {
    const image = `${registry.host}/${name}@${rel.digest}`
    const env = {COSIGN_PASSWORD: key.password}
    const offline = options.v3 ? ['--signing-config', options.v3] : ['--tlog-upload=false']
    const cosign = options.v3 ? runCosign3 : runCosign
    const signed = await cosign(['sign', '--key', key.key, ...offline, '-y', '--allow-http-registry', '-a', 'team=payments', image], {env})
    assert.equal(signed.code, 0, signed.stderr)
    for (const document of rel.sbom.documents) {
      if (document.path === options.skip) continue
      const content = document.path === options.tamper ? document.content.replace('"bomFormat"', '"tampered": true, "bomFormat"') : document.content
      const predicate = writeFile(work, `predicate-${n++}.json`, content)
      const attested = await cosign(['attest', '--key', key.key, ...offline, '-y', '--allow-http-registry', '--type', TYPE[document.format], '--predicate', predicate, image], {env})
      assert.equal(attested.code, 0, attested.stderr)
    }
  }

  it('a release signed by a cosign 2.5 script (sign, then attest per document) passes', async () => {
    const rel = await release('by-cosign')
    await cosignScript(rel, 'by-cosign', a)
    const result = await verify(rel.report, toml([pubConfig(a)]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /all 12 checks passed/)
  })

  it('a release signed by a cosign 3.1 script (bundles as referrers, offline signing config) passes as format = "bundle"', async () => {
    const rel = await release('by-cosign3')
    const signingConfig = join(work, 'sc.json')
    const created = await runCosign3(['signing-config', 'create', '--no-default-fulcio', '--no-default-oidc', '--no-default-rekor', '--no-default-tsa', '--out', signingConfig])
    assert.equal(created.code, 0, created.stderr)
    await cosignScript(rel, 'by-cosign3', a, {v3: signingConfig})
    const result = await verify(rel.report, toml([pubConfig(a, 'format = "bundle"')]))
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /all 12 checks passed/)
    // The same release does not pass as classic: cosign 3.1 wrote no .sig or .att.
    const classic = await verify(rel.report, toml([pubConfig(a, 'format = "classic"')]))
    assert.equal(classic.code, 10)
  })


  it('one document not attested: exit 10, naming the config, the document and the format', async () => {
    const rel = await release('one-missing')
    const missing = rel.sbom.documents.filter((d) => d.format === 'cdx')[1]!.path
    await cosignScript(rel, 'one-missing', a, {skip: missing})
    const result = await verify(rel.report, toml([pubConfig(a)]))
    const escaped = missing.replaceAll('.', '\\.')
    assert.match(failure(result), new RegExp(`^Error: 1 of 12 checks failed: configs\\[0\\] sbom ${escaped} \\(classic\\) on ${registry.host.replaceAll('.', '\\.')}/one-missing@${rel.digest}: no classic attestation of type https://cyclonedx\\.org/bom with .*rel-a\\.pub holds this document$`))
    assert.match(result.stderr, new RegExp(`^✖ SBOM ${escaped} attested \\(classic\\)`, 'm'))
  })

  it('an attestation over a different document: that document fails, the others pass', async () => {
    const rel = await release('tampered')
    const tampered = rel.sbom.documents.find((d) => d.format === 'cdx')!.path
    await cosignScript(rel, 'tampered', a, {tamper: tampered})
    const result = await verify(rel.report, toml([pubConfig(a)]), '--json')
    assert.equal(result.code, 10)
    const {error} = JSON.parse(result.stdout)
    const failed = (error.details.checks as Check[]).filter((c) => !c.ok)
    assert.deepEqual(failed.map((c) => [c.check, c.document]), [['sbom', tampered]])
  })

  it("one key's signature missing, a wrong annotation, a tag moved to another digest: each named", async () => {
    const rel = await release('gaps')
    const signed = await runCli(['sign', '--report', rel.report, '--cosign-config', toml([keyConfig(a, 'export-sbom = "none"')])])
    assert.equal(signed.code, 0, signed.stderr)

    const twoKeys = await verify(rel.report, toml([pubConfig(a, 'export-sbom = "none"'), pubConfig(b, 'export-sbom = "none"')]))
    assert.match(failure(twoKeys), /^Error: 1 of 4 checks failed: configs\[1\] signature \(classic\) on .*\/gaps@sha256:[0-9a-f]{64}: no classic signature verifies with .*rel-b\.pub with the \[\[annotations\]\]$/)

    const annotation = await verify(rel.report, toml([pubConfig(a, 'export-sbom = "none"')], 'team = "other"'))
    assert.match(failure(annotation), /^Error: 1 of 3 checks failed: configs\[0\] signature \(classic\) .*with the \[\[annotations\]\]$/)

    await pushImage(client, rel.tags[1]!) // someone pushes over :latest
    const moved = await verify(rel.report, toml([pubConfig(a, 'export-sbom = "none"')]))
    assert.match(failure(moved), new RegExp(`^Error: 1 of 3 checks failed: tag on ${rel.tags[1]!.replaceAll('.', '\\.')}: points at sha256:[0-9a-f]{64}, not the report's ${rel.digest}$`))
  })

  it('bad input is one line with its exit code, before the registry is read', async () => {
    const rel = await release('inputs')
    const keylessNoIdentity = await verify(rel.report, toml(['keyless = true']))
    assert.equal(keylessNoIdentity.code, 2)
    assert.match(assertOneLineError(keylessNoIdentity), /configs\[0\] is keyless: verifying it needs certificate-identity \(or certificate-identity-regexp\) and certificate-oidc-issuer/)
    const both = await runCli(['verify', rel.tags[0]!, '--report', rel.report, '--cosign-config', toml([pubConfig(a)])])
    assert.equal(both.code, 2)
    assert.match(assertOneLineError(both), /not both/)
    const publicOnly = await runCli(['sign', '--report', rel.report, '--cosign-config', toml([pubConfig(a)])])
    assert.equal(publicOnly.code, 2)
    assert.match(assertOneLineError(publicOnly), /configs\[0\] has only a public-key, which verifies; signing needs key = "<path to the private key>"$/)
  })
})
