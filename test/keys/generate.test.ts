import assert from 'node:assert/strict'
import {createPublicKey} from 'node:crypto'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {
  assertCanWrite,
  generateKeyPair,
  keyPairPaths,
  loadSigner,
  loadVerifier,
  staticPassword,
  writeKeyPair,
} from '../../src/keys/index.js'
import {rejectsWith, tempDir} from './support.js'

describe('generateKeyPair', () => {
  it('writes an encrypted P-256 key (0600) and its public key, which belong together', async (t) => {
    const dir = await tempDir(t)
    const paths = keyPairPaths(join(dir, 'release'))
    assert.deepEqual(paths, {privateKey: join(dir, 'release.key'), publicKey: join(dir, 'release.pub')})
    const pair = await generateKeyPair(Buffer.from('pw'))
    await writeKeyPair(paths, pair, false)
    assert.equal((await stat(paths.privateKey)).mode & 0o777, 0o600)
    assert.equal(await readFile(paths.privateKey, 'utf8'), pair.privateKeyPem)
    assert.ok(pair.privateKeyPem.startsWith('-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n'))
    assert.ok(pair.publicKeyPem.startsWith('-----BEGIN PUBLIC KEY-----\n'))
    assert.equal(createPublicKey(pair.publicKeyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1')

    const signer = await loadSigner(paths.privateKey, staticPassword('pw'))
    assert.equal(signer.publicKeyPem, pair.publicKeyPem)
    const data = Buffer.from('hello')
    assert.ok((await loadVerifier(paths.publicKey)).verify(data, await signer.sign(data)))
  })

  it('refuses to overwrite either file without force, naming it and --force', async (t) => {
    const dir = await tempDir(t)
    const paths = keyPairPaths(join(dir, 'cosign'))
    await writeFile(paths.publicKey, 'old public key')
    await rejectsWith(assertCanWrite(paths, false), 'KEY_EXISTS', paths.publicKey, '--force')
    const pair = await generateKeyPair(Buffer.from('pw'))
    await rejectsWith(writeKeyPair(paths, pair, false), 'KEY_EXISTS', paths.publicKey, '--force')
    assert.equal(await readFile(paths.publicKey, 'utf8'), 'old public key')
  })

  it('with force replaces both files; a replaced world-readable key becomes 0600', async (t) => {
    const dir = await tempDir(t)
    const paths = keyPairPaths(join(dir, 'cosign'))
    await writeFile(paths.privateKey, 'old', {mode: 0o644})
    await writeFile(paths.publicKey, 'old')
    await assertCanWrite(paths, true)
    const pair = await generateKeyPair(Buffer.from(''))
    await writeKeyPair(paths, pair, true)
    assert.equal(await readFile(paths.publicKey, 'utf8'), pair.publicKeyPem)
    assert.equal((await stat(paths.privateKey)).mode & 0o777, 0o600)
    // An empty password is a valid password, as with cosign.
    assert.equal((await loadSigner(paths.privateKey, staticPassword(''))).algorithm, 'ecdsa-p256-sha256')
  })
})
