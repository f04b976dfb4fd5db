import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {parseCosignConfig, parseReport} from '../../src/config/index.js'
import {isPluginError} from '../../src/errors.js'
import {forgetLoadedSigners, loadSigner, staticPassword, verifierFromPem} from '../../src/keys/index.js'
import {DOCKER_HUB, type ImageReference, type Repository, parseReference, parseRepositoryName, referenceName, repositoryName} from '../../src/reference/reference.js'
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
/** References built from the grammar's pieces: valid ones, mostly. */
const lower = fc.stringMatching(/^[a-z0-9]{1,8}$/)
const component = fc.tuple(lower, fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), lower), {maxLength: 2}))
  .map(([head, rest]) => head + rest.map(([separator, part]) => separator + part).join(''))
const validReference = fc.record({
  registry: fc.constantFrom('', 'docker.io/', 'index.docker.io/', 'localhost/', 'localhost:5000/', '127.0.0.1:5000/', '[::1]:5000/', 'registry.example.com/', 'ghcr.io:443/'),
  path: fc.array(component, {minLength: 1, maxLength: 4}).map((parts) => parts.join('/')),
  tag: fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), {nil: undefined}),
  digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`), {nil: undefined}),
}).map(({registry, path, tag, digest}) => `${registry}${path}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`)

/**
 * An accepted reference is canonical: its name re-parses to the same reference, and naming that
 * gives the same name (so `docker-reference` and the tags we write are stable). A digest-only
 * reference gets no tag; anything else has one (`latest` when none was written).
 */
function assertCanonical(reference: ImageReference, input: string): void {
  const name = referenceName(reference)
  const again = parseReference(name)
  assert.deepEqual(again, reference, `${JSON.stringify(input)} → ${name} → ${referenceName(again)}`)
  assert.equal(referenceName(again), name)
  assert.ok(reference.tag !== undefined || reference.digest !== undefined, name)
  if (reference.digest !== undefined) assert.ok(input.endsWith(`@${reference.digest}`), `${JSON.stringify(input)}: digest ${reference.digest}`)
  if (reference.tag !== undefined && reference.tag !== 'latest') assert.ok(input.includes(`:${reference.tag}`), `${JSON.stringify(input)}: tag ${reference.tag}`)
  assert.ok(reference.repository.path.split('/').every((part) => /^[a-z0-9]+(?:[._-]+[a-z0-9]+)*$/.test(part)), name)
  if (reference.repository.registry === DOCKER_HUB) assert.ok(reference.repository.path.includes('/'), `${name}: Docker Hub names get library/`)
}

const tomlish = fc.array(
  fc.constantFrom('[[configs]]\n', '[[annotations]]\n', '[image]\n', 'key = "k.key"\n', 'name = "x"\n', 'value = 1\n', 'tags = ["a/b:c"]\n', 'digest = "sha256:abc"\n', 'export-sbom = "none"\n', 'recursive = true\n', 'x = [1, [2, {a = 3}]]\n', '"""\n', '= =\n', '\u0000', '#', '[configs]\n', 'keyless = true\n'),
  {maxLength: 20},
).map((p) => p.join(''))

describe('hostile inputs: typed errors only', () => {
  it('image references and repository names: typed errors, and what is accepted round-trips', () => {
    let accepted = 0
    fc.assert(fc.property(fc.oneof(fc.string({maxLength: 300}), nearReference, validReference), (input) => {
      let reference: ImageReference | undefined
      onlyTypedErrors(() => {
        reference = parseReference(input)
      })
      if (reference) {
        accepted++
        assertCanonical(reference, input)
      }

      let repository: Repository | undefined
      onlyTypedErrors(() => {
        repository = parseRepositoryName(input)
      })
      if (repository) {
        // The same repository as a reference would name, and its name reads back the same.
        const name = repositoryName(repository)
        assert.deepEqual(parseRepositoryName(name), repository, `${JSON.stringify(input)} → ${name}`)
        assert.deepEqual(parseReference(name).repository, repository, `${JSON.stringify(input)} → ${name}`)
      }
    }), {numRuns: RUNS * 3})
    // At least a third of the runs must reach the assertions above, not only the error path.
    assert.ok(accepted >= RUNS, `only ${accepted} of ${RUNS * 3} references were accepted`)
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
