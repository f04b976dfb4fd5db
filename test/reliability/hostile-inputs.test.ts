import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {parseCosignConfig, parseReport} from '../../src/config/index.js'
import {isPluginError} from '../../src/errors.js'
import {forgetLoadedSigners, loadSigner, staticPassword, verifierFromPem} from '../../src/keys/index.js'
import {parseReference, parseRepositoryName} from '../../src/reference/reference.js'
import {parseChallenge} from '../../src/registry/challenge.js'
import {sha256Digest} from '../../src/registry/digest.js'
import {findSbomLayer, readSbomDocuments} from '../../src/sbom/index.js'
import {validateJsonObject} from '../../src/sbom/json-validate.js'
import {buildTar} from '../fixtures/tar.js'

/**
 * Every parser that takes outside input (image references, cosign.toml, report.toml, PEM keys,
 * manifests and image configs, WWW-Authenticate, SBOM tar layers) answers arbitrary input with a
 * value or a typed PluginError: never another exception, never a hang.
 */
const RUNS = 300
const work = mkdtempSync(join(tmpdir(), 'hostile-'))

function onlyTypedErrors(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    assert.ok(isPluginError(error), `untyped error: ${String(error)}`)
  }
}

async function onlyTypedErrorsAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
  } catch (error) {
    assert.ok(isPluginError(error), `untyped error: ${String(error)}`)
  }
}

/** Strings near the grammar: fragments of real references, configs and headers, recombined. */
const nearReference = fc.array(fc.constantFrom('registry.example.com', 'localhost:5000', '/', ':', '@', 'sha256:', 'a'.repeat(64), 'app', 'v1', '..', '[::1]', 'UPPER', '-', '_', '.', ' ', '\u0000', '%2F'), {maxLength: 12}).map((p) => p.join(''))
const tomlish = fc.array(
  fc.constantFrom('[[configs]]\n', '[[annotations]]\n', '[image]\n', 'key = "k.key"\n', 'name = "x"\n', 'value = 1\n', 'tags = ["a/b:c"]\n', 'digest = "sha256:abc"\n', 'export-sbom = "none"\n', 'recursive = true\n', 'x = [1, [2, {a = 3}]]\n', '"""\n', '= =\n', '\u0000', '#', '[configs]\n', 'keyless = true\n'),
  {maxLength: 20},
).map((p) => p.join(''))

describe('hostile inputs: typed errors only', () => {
  it('image references and repository names', () => {
    fc.assert(fc.property(fc.oneof(fc.string({maxLength: 300}), nearReference), (input) => {
      onlyTypedErrors(() => parseReference(input))
      onlyTypedErrors(() => parseRepositoryName(input))
    }), {numRuns: RUNS * 3})
  })

  it('WWW-Authenticate headers (parsed, never thrown)', () => {
    const nearHeader = fc.array(fc.constantFrom('Bearer ', 'Basic ', 'realm=', 'service=', 'scope=', '"', '\\', ',', 'x', '=', ' ', 'https://a/b'), {maxLength: 30}).map((p) => p.join(''))
    fc.assert(fc.property(fc.oneof(fc.string({maxLength: 2000}), nearHeader), (header) => {
      const challenge = parseChallenge(header)
      if (challenge) assert.ok(challenge.scheme === 'basic' || challenge.scheme === 'bearer')
    }), {numRuns: RUNS * 3})
  })

  it('cosign.toml and report.toml', () => {
    fc.assert(fc.property(fc.oneof(fc.string({maxLength: 500}), tomlish), (text) => {
      onlyTypedErrors(() => parseCosignConfig(text, join(work, 'cosign.toml')))
      onlyTypedErrors(() => parseReport(text, join(work, 'report.toml')))
    }), {numRuns: RUNS * 2})
  })

  it('PEM private and public keys', async () => {
    const pemish = fc.tuple(
      fc.constantFrom('PRIVATE KEY', 'ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY', 'PUBLIC KEY', 'CERTIFICATE', ''),
      fc.oneof(fc.base64String({maxLength: 400}), fc.string({maxLength: 200}), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64'))),
    ).map(([label, body]) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`)
    await fc.assert(fc.asyncProperty(fc.oneof(pemish, fc.string({maxLength: 300})), async (text) => {
      const file = join(work, 'key.pem')
      writeFileSync(file, text)
      forgetLoadedSigners()
      await onlyTypedErrorsAsync(() => loadSigner(file, staticPassword('pw')))
      onlyTypedErrors(() => verifierFromPem(text, file))
    }), {numRuns: RUNS})
  })

  it('image manifests and configs (the SBOM lookup)', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (manifest, config) => {
      onlyTypedErrors(() => findSbomLayer(manifest as never, config as never))
    }), {numRuns: RUNS * 2})
    const labelled = fc.record({
      config: fc.record({Labels: fc.dictionary(fc.constantFrom('io.buildpacks.lifecycle.metadata', 'x'), fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))))}),
      rootfs: fc.record({diff_ids: fc.array(fc.oneof(fc.string(), fc.constant(`sha256:${'a'.repeat(64)}`)))}),
    })
    fc.assert(fc.property(fc.record({layers: fc.array(fc.jsonValue())}), labelled, (manifest, config) => {
      onlyTypedErrors(() => findSbomLayer(manifest as never, config as never))
    }), {numRuns: RUNS * 2})
  })

  it('SBOM layers: arbitrary bytes, and tars with hostile paths and sizes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({maxLength: 4096}), fc.constantFrom('application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+zstd'), async (bytes, mediaType) => {
      const layer = Buffer.from(bytes)
      await onlyTypedErrorsAsync(() => readSbomDocuments(layer, mediaType, sha256Digest(layer)))
    }), {numRuns: RUNS})

    const segment = fc.constantFrom('layers', 'sbom', 'launch', 'build', '..', '.', '', 'bp', 'sbom.cdx.json', 'sbom.spdx.json', '/', 'x'.repeat(120))
    const entry = fc.record({
      path: fc.array(segment, {minLength: 1, maxLength: 8}).map((parts) => parts.join('/')),
      content: fc.oneof(fc.constant('{"bomFormat":"CycloneDX"}'), fc.string({maxLength: 64})),
    })
    await fc.assert(fc.asyncProperty(fc.array(entry, {maxLength: 6}), async (entries) => {
      const tar = buildTar(entries)
      try {
        const documents = await readSbomDocuments(tar, 'application/vnd.oci.image.layer.v1.tar', sha256Digest(tar))
        for (const document of documents) {
          assert.ok(!document.path.split('/').includes('..'), `traversal accepted: ${document.path}`)
          assert.match(document.path, /^layers\/sbom\/launch\//)
        }
      } catch (error) {
        assert.ok(isPluginError(error), `untyped error: ${String(error)}`)
      }
    }), {numRuns: RUNS})
  })

  it('SBOM documents: the JSON validator agrees with JSON.parse on arbitrary JSON and strings', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v, null, 1)), fc.string({maxLength: 200})), (text) => {
      let parsed: unknown
      let ok: boolean
      try {
        parsed = JSON.parse(text)
        ok = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      } catch {
        ok = false
      }

      assert.equal(validateJsonObject(Buffer.from(text)) === undefined, ok, text)
    }), {numRuns: RUNS * 3})
  })
})
