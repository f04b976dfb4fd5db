import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {reportFromBuild} from '../../src/hooks/host-report.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const work = mkdtempSync(join(tmpdir(), 'host-report-'))

async function failure(result: unknown): Promise<{code: string; message: string}> {
  return reportFromBuild(result).then(
    () => assert.fail('expected a failure'),
    (error) => ({code: error.code, message: error.message}),
  )
}

describe("the report from the host's build result", () => {
  it('takes the parsed report.toml object', async () => {
    const report = await reportFromBuild({report: {image: {tags: ['r.example/app:v1'], digest: DIGEST, 'manifest-size': 10}, build: {}}})
    assert.deepEqual(report, {tags: ['r.example/app:v1'], digest: DIGEST, manifestSize: 10, file: "pack-ts build's report"})
  })

  it('checks the object as report.toml is checked, without line numbers of text nobody wrote', async () => {
    const {code, message} = await failure({report: {image: {tags: ['r.example/app:v1'], digest: 42}}})
    assert.equal(code, 'CONFIG_INVALID')
    assert.equal(message, "pack-ts build's report: image.digest is an integer (42); expected sha256:<64 lowercase hex digits>")
  })

  it('reads reportPath, relative to the current directory', async () => {
    writeFileSync(join(work, 'report.toml'), `[image]\n  tags = ["r.example/app:v1"]\n  digest = "${DIGEST}"\n`)
    const report = await reportFromBuild({reportPath: relative(process.cwd(), join(work, 'report.toml'))})
    assert.equal(report.digest, DIGEST)
  })

  for (const [what, result] of [
    ['nothing', undefined],
    ['an object without either key', {image: 'r.example/app:v1'}],
    ['a report that is not an object', {report: 'report.toml'}],
    ['a report TOML cannot hold', {report: {image: {tags: ['r.example/app:v1', 5]}}}],
    ['a reportPath with no file', {reportPath: join(work, 'missing.toml')}],
  ] as const) {
    it(`names the host contract for ${what}`, async () => {
      const {code, message} = await failure(result)
      assert.equal(code, 'HOST_CONTRACT')
      assert.match(message, /^cannot sign: .* breaks the host contract: build's run\(\) resolves \{report\} .* or \{reportPath\}/)
    })
  }
})
