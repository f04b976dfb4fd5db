import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushImage, testClient} from '../helpers/images.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/** Why a verification failed, in words a user can act on (issue 12, item 9). */
const work = mkdtempSync(join(tmpdir(), 'verify-messages-'))
const env = {COSIGN_PASSWORD: 'verify-messages-password'}

describe('verify: failure reasons', () => {
  let registry: TestRegistry
  const client = testClient()
  const key = join(work, 'cosign.key')
  const pub = join(work, 'cosign.pub')

  before(async () => {
    registry = await startRegistry()
    const generated = await runCli(['generate-key-pair', '--output-key-prefix', join(work, 'cosign')], {env})
    assert.equal(generated.code, 0, generated.stderr)
  })
  after(() => registry.stop())

  it("a signature copied from another image's .sig names the digest mismatch, as cosign does", async () => {
    const signed = await pushImage(client, `${registry.host}/copied:signed`)
    const other = await pushImage(client, `${registry.host}/copied:other`)
    const result = await runCli(['sign', signed.reference, '--key', key], {env})
    assert.equal(result.code, 0, result.stderr)
    // The .sig of `signed`, put unchanged under the tag cosign looks for `other` at.
    const sig = await client.getManifest(signed.repository, `sha256-${signed.digest.slice(7)}.sig`)
    await client.putManifest(other.repository, `sha256-${other.digest.slice(7)}.sig`, sig.bytes, sig.mediaType)

    const verified = await runCli(['verify', other.reference, '--key', pub])
    const line = assertOneLineError(verified)
    assert.equal(line.split('\n').length, 1, line)
    assert.equal(
      line,
      `Error: ${registry.host}/copied@${other.digest}: none of 1 signature(s) verified with ${pub}: invalid or missing digest in claim: a signature verified but signs "${signed.digest}", not this image's digest (copied from another image's .sig?)`,
    )
    assert.equal(verified.code, 10)
  })

  it('no attestation of a type: "no attestations of type spdxjson found", the type left as given', async () => {
    const image = await pushImage(client, `${registry.host}/unattested:v1`)
    const result = await runCli(['verify', image.reference, '--key', pub, '--attestations', '--type', 'spdxjson'])
    assert.equal(result.code, 10)
    assert.equal(assertOneLineError(result), `Error: ${registry.host}/unattested@${image.digest}: no attestations of type spdxjson found`)
  })
})
