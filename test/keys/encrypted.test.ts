import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {decryptKey, encryptKey, parseEncryptedKey} from '../../src/keys/encrypted.js'
import {loadSigner, loadVerifier, staticPassword} from '../../src/keys/index.js'
import {decodePemBlocks} from '../../src/keys/pem.js'
import {rejectsWith, tempDir} from './support.js'

const pkcs8 = () =>
  generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})

function bodyJson(pem: string): any {
  const [block] = decodePemBlocks(pem, 'test')
  return JSON.parse(block!.der.toString('utf8'))
}

describe('cosign encrypted key format', () => {
  it('writes the JSON fields in go-securesystemslib order with cosign 2.5 parameters', async () => {
    const pem = await encryptKey(pkcs8(), Buffer.from('pw'))
    const json = bodyJson(pem)
    assert.deepEqual(Object.keys(json), ['kdf', 'cipher', 'ciphertext'])
    assert.deepEqual(Object.keys(json.kdf), ['name', 'params', 'salt'])
    assert.deepEqual(Object.keys(json.cipher), ['name', 'nonce'])
    assert.deepEqual(json.kdf.params, {N: 65_536, r: 8, p: 1})
    assert.equal(json.kdf.name, 'scrypt')
    assert.equal(json.cipher.name, 'nacl/secretbox')
    assert.equal(Buffer.from(json.kdf.salt, 'base64').length, 32)
    assert.equal(Buffer.from(json.cipher.nonce, 'base64').length, 24)
    // Exact serialisation: no spaces, params in N, r, p order (as Go's json.Marshal writes).
    const [block] = decodePemBlocks(pem, 'test')
    assert.match(block!.der.toString(), /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"/)
  })

  it('wraps the PEM like Go: 64-column lines, label, final newline', async () => {
    const pem = await encryptKey(pkcs8(), Buffer.from('pw'))
    const lines = pem.split('\n')
    assert.equal(lines[0], '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----')
    assert.equal(lines.at(-2), '-----END ENCRYPTED SIGSTORE PRIVATE KEY-----')
    assert.equal(lines.at(-1), '')
    const body = lines.slice(1, -2)
    for (const line of body.slice(0, -1)) assert.equal(line.length, 64)
    assert.ok(body.at(-1)!.length <= 64 && body.at(-1)!.length > 0)
  })

  it('round-trips and uses a fresh salt and nonce each time', async () => {
    const der = pkcs8()
    const first = await encryptKey(der, Buffer.from('pw'))
    const second = await encryptKey(der, Buffer.from('pw'))
    assert.notEqual(bodyJson(first).kdf.salt, bodyJson(second).kdf.salt)
    assert.notEqual(bodyJson(first).cipher.nonce, bodyJson(second).cipher.nonce)
    const [block] = decodePemBlocks(first, 'k')
    assert.deepEqual(await decryptKey(parseEncryptedKey(block!.der, 'k'), Buffer.from('pw'), 'k'), der)
  })

  it('reads an older ENCRYPTED COSIGN PRIVATE KEY with N=32768', async (t) => {
    const dir = await tempDir(t)
    const key = join(dir, 'old.key')
    const pem = await encryptKey(pkcs8(), Buffer.from('old'), {
      label: 'ENCRYPTED COSIGN PRIVATE KEY',
      scrypt: {N: 32_768, r: 8, p: 1},
    })
    assert.ok(pem.startsWith('-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n'))
    await writeFile(key, pem)
    const signer = await loadSigner(key, staticPassword('old'))
    assert.equal(signer.algorithm, 'ecdsa-p256-sha256')
    await writeFile(join(dir, 'old.pub'), signer.publicKeyPem)
    const data = Buffer.from('payload')
    assert.ok((await loadVerifier(join(dir, 'old.pub'))).verify(data, await signer.sign(data)))
  })

  it('reads N=131072, the largest N cosign accepts', async (t) => {
    const key = join(await tempDir(t), 'big.key')
    await writeFile(key, await encryptKey(pkcs8(), Buffer.from('x'), {scrypt: {N: 131_072, r: 8, p: 1}}))
    assert.equal((await loadSigner(key, staticPassword('x'))).algorithm, 'ecdsa-p256-sha256')
  })

  for (const params of [
    {N: 16_384, r: 8, p: 1},
    {N: 1_048_576, r: 8, p: 1},
    {N: 65_536, r: 16, p: 1},
    {N: 65_536, r: 8, p: 2},
  ]) {
    it(`refuses scrypt N=${params.N} r=${params.r} p=${params.p} before asking for a password`, async (t) => {
      const key = join(await tempDir(t), 'odd.key')
      // Encrypting with a huge N would be slow; only the parameters in the JSON matter here.
      const pem = await encryptKey(pkcs8(), Buffer.from('x'), {scrypt: {N: 1024, r: 8, p: 1}})
      const [block] = decodePemBlocks(pem, key)
      const json = JSON.parse(block!.der.toString())
      json.kdf.params = params
      await writeFile(key, pem.replace(/(?<=\n)[\s\S]*(?=-----END)/, `${Buffer.from(JSON.stringify(json)).toString('base64')}\n`))
      let asked = false
      const password = async () => {
        asked = true
        return Buffer.from('x')
      }

      await rejectsWith(loadSigner(key, password), 'KEY_INVALID', 'unsupported scrypt parameters in', key)
      assert.equal(asked, false)
    })
  }

  it('says wrong password for a password that does not open the box', async (t) => {
    const key = join(await tempDir(t), 'c.key')
    await writeFile(key, await encryptKey(pkcs8(), Buffer.from('right')))
    const error = await rejectsWith(loadSigner(key, staticPassword('wrong-secret')), 'KEY_PASSWORD', `wrong password for ${key}`)
    assert.ok(!error.message.includes('wrong-secret'))
  })

  it('rejects a tampered body as KEY_INVALID, not a crash', async (t) => {
    const dir = await tempDir(t)
    const notJson = join(dir, 'a.key')
    await writeFile(notJson, `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from('nope').toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`)
    await rejectsWith(loadSigner(notJson, staticPassword('x')), 'KEY_INVALID', notJson)
    const badNonce = join(dir, 'b.key')
    const json = {
      kdf: {name: 'scrypt', params: {N: 65_536, r: 8, p: 1}, salt: 'AAAA'},
      cipher: {name: 'nacl/secretbox', nonce: 'AAAA'},
      ciphertext: 'AAAA',
    }
    await writeFile(badNonce, `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(json)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`)
    await rejectsWith(loadSigner(badNonce, staticPassword('x')), 'KEY_INVALID', 'nonce')
  })
})
