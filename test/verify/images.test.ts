import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushImage, pushIndex, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

// `verify IMAGE...` and `--recursive`: several manifests, one summary, exit 0 only when all verify.

const work = mkdtempSync(join(tmpdir(), 'verify-images-'))

describe('verify IMAGE... and --recursive', () => {
  let registry: TestRegistry
  let key: TestKey
  const client = testClient()

  before(async () => {
    ;[registry, key] = await Promise.all([startRegistry(), generateTestKey(work, 'many')])
  })
  after(() => registry.stop())

  const sign = async (...references: string[]) => {
    const signed = await runCli(['sign', ...references, '--key', key.key, '--password-file', key.passwordFile])
    assert.equal(signed.code, 0, signed.stderr)
  }

  it('several images: each on its own line and one summary; one unsigned among them fails the run, named', async () => {
    const images = await Promise.all(['one', 'two', 'three'].map((name) => pushImage(client, `${registry.host}/${name}:v1`)))
    await sign(images[0]!.reference, images[1]!.reference)

    const two = await runCli(['verify', images[0]!.reference, images[1]!.reference, '--key', key.pub, '--json'])
    assert.equal(two.code, 0, two.stderr)
    const results = JSON.parse(two.stdout) as {image: string; ok: boolean; verified: unknown[]}[]
    assert.deepEqual(results.map((r) => [r.image, r.ok, r.verified.length]), images.slice(0, 2).map((i) => [`${i.reference}@${i.digest}`, true, 1]))
    const plain = await runCli(['verify', images[0]!.reference, images[1]!.reference, '--key', key.pub])
    assert.equal(plain.code, 0, plain.stderr)
    assert.match(plain.stderr, /^Verified 2 image\(s\) with .*many\.pub$/m)
    assert.equal(plain.stdout.trim().split('\n').length, 2, 'one payload array per image, as cosign prints')

    const three = await runCli(['verify', ...images.map((i) => i.reference), '--key', key.pub])
    assert.equal(three.code, 10)
    assert.equal((three.stderr.match(/^✔ Verified 1 signature\(s\)/gm) ?? []).length, 2)
    assert.match(three.stderr, new RegExp(`^✖ ${registry.host.replaceAll('.', '\\.')}/three@sha256:[0-9a-f]{64}: no signatures found$`, 'm'))
    assert.match(assertOneLineError(three).split('\n').at(-1)!, new RegExp(`^Error: 1 of 3 manifest\\(s\\) did not verify \\(3 image\\(s\\)\\): ${images[2]!.reference.replaceAll('.', '\\.')}@`))
  })

  it('--recursive: the index and each platform manifest must verify', async () => {
    const index = await pushIndex(client, `${registry.host}/multi:v1`)
    const at = (digest: string) => `${registry.host}/multi@${digest}`
    await sign(index.reference, at(index.children[0]!.digest))
    const partial = await runCli(['verify', index.reference, '--key', key.pub, '--recursive'])
    assert.equal(partial.code, 10)
    assert.match(assertOneLineError(partial).split('\n').at(-1)!, new RegExp(`^Error: 1 of 3 manifest\\(s\\) did not verify \\(1 image\\(s\\), 3 manifests\\): ${at(index.children[1]!.digest).replaceAll('.', '\\.')}$`))

    await sign(at(index.children[1]!.digest))
    const whole = await runCli(['verify', index.reference, '--key', key.pub, '--recursive'])
    assert.equal(whole.code, 0, whole.stderr)
    assert.match(whole.stderr, /^Verified 1 image\(s\), 3 manifests with /m)
    // Without --recursive, one image is checked as cosign does: its payloads on stdout.
    const plain = await runCli(['verify', index.reference, '--key', key.pub])
    assert.equal(plain.code, 0, plain.stderr)
    assert.equal(JSON.parse(plain.stdout).length, 1)
  })
})
