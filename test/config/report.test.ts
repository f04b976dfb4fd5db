import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {parseReport, readReport} from '../../src/config/index.js'
import {isPluginError} from '../../src/errors.js'

const DIGEST = 'sha256:0b8f5a6c4e2d1f3a9b7c8d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a'

function refused(text: string, message: string): void {
  assert.throws(
    () => parseReport(text, 'report.toml'),
    (error) => {
      assert.ok(isPluginError(error), `not a PluginError: ${error}`)
      assert.equal(error.code, 'CONFIG_INVALID')
      assert.equal(error.message, message)
      return true
    },
  )
}

describe('parseReport', () => {
  it('reads report.toml exactly as the lifecycle writes it (indented keys, legacy [[build.bom]])', () => {
    const text = [
      '[image]',
      '  tags = ["localhost:5000/app:latest", "localhost:5000/app:v1"]',
      `  digest = "${DIGEST}"`,
      '  manifest-size = 1083',
      '',
      '[build]',
      '  [[build.bom]]',
      '    name = "x"',
      '',
    ].join('\n')
    assert.deepEqual(parseReport(text, '/layers/report.toml'), {
      tags: ['localhost:5000/app:latest', 'localhost:5000/app:v1'],
      digest: DIGEST,
      manifestSize: 1083,
      file: '/layers/report.toml',
    })
  })

  it('accepts manifest-size as a string of digits, as the platform spec shows it', () => {
    const report = parseReport(`[image]\ntags = ["r.example/a:1"]\ndigest = "${DIGEST}"\nmanifest-size = "1083"\n`, 'report.toml')
    assert.equal(report.manifestSize, 1083)
  })

  it('leaves manifestSize out when the report has none, and accepts tags across registries', () => {
    const tags = ['localhost:5000/app:latest', 'ghcr.io/acme/app:v1', 'registry.example.com:8443/team/app:1.0']
    const report = parseReport(`[image]\ntags = ${JSON.stringify(tags)}\ndigest = "${DIGEST}"\n`, 'report.toml')
    assert.deepEqual(report, {tags, digest: DIGEST, file: 'report.toml'})
    assert.ok(!('manifestSize' in report))
  })

  it('tolerates keys and tables it does not know (newer lifecycles add fields)', () => {
    const text = `[image]\ntags = ["r.example/a:1"]\ndigest = "${DIGEST}"\nfuture = {x = 1}\n\n[extra]\nanything = true\n`
    assert.equal(parseReport(text, 'report.toml').digest, DIGEST)
  })

  it('refuses a daemon export (no digest) and says to build with --publish', () => {
    refused(
      '[image]\n  tags = ["app:latest"]\n  image-id = "sha256:1111111111111111111111111111111111111111111111111111111111111111"\n',
      'report.toml: the image was exported to a daemon (no image.digest); signing needs a registry export — build with --publish',
    )
  })

  it('refuses a malformed digest, with its line', () => {
    refused(
      '[image]\ntags = ["r.example/a:1"]\ndigest = "sha256:abc"\n',
      'report.toml:3: image.digest is "sha256:abc"; expected sha256:<64 lowercase hex digits>',
    )
  })

  it('refuses missing, empty and non-string tags', () => {
    refused(`[image]\ndigest = "${DIGEST}"\n`, 'report.toml:1: image has no "tags" (the tag references the image was exported to)')
    refused(
      `[image]\ntags = []\ndigest = "${DIGEST}"\n`,
      'report.toml:2: image.tags is empty; expected at least one tag reference like "registry/repo:tag"',
    )
    refused(
      `[image]\ndigest = "${DIGEST}"\ntags = "r.example/a:1"\n`,
      'report.toml:3: image.tags is a string ("r.example/a:1"); expected an array of tag references like ["registry/repo:tag"]',
    )
    refused(
      `[image]\ndigest = "${DIGEST}"\ntags = [1]\n`,
      'report.toml:3: image.tags[0] is an integer (1); expected a tag reference like "registry/repo:tag"',
    )
    refused(
      `[image]\ndigest = "${DIGEST}"\ntags = ["a:1", "b c:1"]\n`,
      'report.toml:3: image.tags[1] is "b c:1"; a tag reference cannot be empty or contain spaces',
    )
  })

  it('refuses a manifest-size that is not a byte count', () => {
    refused(
      `[image]\ntags = ["a:1"]\ndigest = "${DIGEST}"\nmanifest-size = "12a"\n`,
      'report.toml:4: image.manifest-size is "12a"; expected a size in bytes (an integer, or a string of digits)',
    )
    refused(
      `[image]\ntags = ["a:1"]\ndigest = "${DIGEST}"\nmanifest-size = -1\n`,
      'report.toml:4: image.manifest-size is an integer (-1); expected a size in bytes (an integer, or a string of digits)',
    )
  })

  it('refuses a file without [image], and wrong types of the known tables', () => {
    refused('[build]\n', "report.toml: no [image] table; expected the exporter's report with image.tags and image.digest")
    refused('image = "x"\n', 'report.toml:1: image is a string ("x"); expected the [image] table')
    refused(`build = 1\n[image]\ntags = ["a:1"]\ndigest = "${DIGEST}"\n`, 'report.toml:1: build is an integer (1); expected the [build] table')
  })

  it('lists every problem, one per line after a summary', () => {
    refused(
      '[image]\ntags = []\nmanifest-size = true\n',
      [
        'report.toml: 3 problems:',
        '  report.toml: the image was exported to a daemon (no image.digest); signing needs a registry export — build with --publish',
        '  report.toml:2: image.tags is empty; expected at least one tag reference like "registry/repo:tag"',
        '  report.toml:3: image.manifest-size is a boolean (true); expected a size in bytes (an integer, or a string of digits)',
      ].join('\n'),
    )
  })

  it('reports a TOML syntax error with its line and column', () => {
    refused('[image]\ntags = ["a:1",\n', 'report.toml:3:1: Unterminated inline array')
  })
})

describe('readReport', () => {
  it('reads a file and names it as given', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'config-test-'))
    t.after(() => rm(dir, {recursive: true, force: true}))
    const file = join(dir, 'report.toml')
    await writeFile(file, `[image]\n  tags = ["a:1"]\n  digest = "${DIGEST}"\n`)
    assert.deepEqual(await readReport(file), {tags: ['a:1'], digest: DIGEST, file})
  })

  it('says a missing report was not found', async () => {
    await assert.rejects(readReport('/nonexistent/report.toml'), (error) => {
      assert.ok(isPluginError(error))
      assert.equal(error.code, 'CONFIG_INVALID')
      assert.equal(error.message, 'report /nonexistent/report.toml not found')
      return true
    })
  })
})
