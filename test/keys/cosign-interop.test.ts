/** Cross-checks with the real cosign 2.5 CLI, offline (no tlog, no registry). */
import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {
  generateKeyPair,
  keyPairPaths,
  loadSigner,
  loadVerifier,
  staticPassword,
  writeKeyPair,
} from '../../src/keys/index.js'
import {cosign, tempDir} from './support.js'

const PASSWORD = 'correct horse'

describe('interoperability with cosign 2.5', () => {
  it('cosign signs with our generated key, and we verify its signature', async (t) => {
    const dir = await tempDir(t)
    const paths = keyPairPaths(join(dir, 'ours'))
    await writeKeyPair(paths, await generateKeyPair(Buffer.from(PASSWORD)), false)
    await writeFile(join(dir, 'blob'), 'signed by cosign\n')
    const env = {COSIGN_PASSWORD: PASSWORD}
    await cosign(['sign-blob', '--key', 'ours.key', '--tlog-upload=false', '--yes', '--output-signature', 'sig', 'blob'], {cwd: dir, env})
    const signature = Buffer.from((await readFile(join(dir, 'sig'), 'utf8')).trim(), 'base64')
    const verifier = await loadVerifier(paths.publicKey)
    assert.ok(verifier.verify(await readFile(join(dir, 'blob')), signature))
    assert.equal(verifier.verify(Buffer.from('something else'), signature), false)
  })

  it('cosign public-key on our key prints exactly our .pub', async (t) => {
    const dir = await tempDir(t)
    const paths = keyPairPaths(join(dir, 'ours'))
    await writeKeyPair(paths, await generateKeyPair(Buffer.from(PASSWORD)), false)
    const {stdout} = await cosign(['public-key', '--key', 'ours.key'], {cwd: dir, env: {COSIGN_PASSWORD: PASSWORD}})
    assert.equal(stdout, await readFile(paths.publicKey, 'utf8'))
  })

  it('we sign with a key cosign generated, and cosign verify-blob accepts it', async (t) => {
    const dir = await tempDir(t)
    await cosign(['generate-key-pair'], {cwd: dir, env: {COSIGN_PASSWORD: PASSWORD}})
    const signer = await loadSigner(join(dir, 'cosign.key'), staticPassword(PASSWORD))
    assert.equal(signer.algorithm, 'ecdsa-p256-sha256')
    assert.equal(signer.publicKeyPem, await readFile(join(dir, 'cosign.pub'), 'utf8'))
    const blob = Buffer.from('signed by us\n')
    await writeFile(join(dir, 'blob'), blob)
    await writeFile(join(dir, 'sig'), (await signer.sign(blob)).toString('base64'))
    const {stderr} = await cosign(
      ['verify-blob', '--key', 'cosign.pub', '--signature', 'sig', '--insecure-ignore-tlog', 'blob'],
      {cwd: dir},
    )
    assert.match(stderr, /Verified OK/)
  })

  it('a cosign key with an empty password loads with an empty COSIGN_PASSWORD', async (t) => {
    const dir = await tempDir(t)
    await cosign(['generate-key-pair'], {cwd: dir, env: {COSIGN_PASSWORD: ''}})
    assert.equal((await loadSigner(join(dir, 'cosign.key'), staticPassword(''))).algorithm, 'ecdsa-p256-sha256')
  })
})
