import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {mkdir, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {describe, it} from 'node:test'

import {
  encryptKey,
  forgetLoadedSigners,
  type KeyAlgorithm,
  loadSigner,
  loadVerifier,
  passwordSource,
  staticPassword,
  verifierFromPem,
} from '../../src/keys/index.js'
import {rejectsWith, tempDir} from './support.js'

const noPassword = async (): Promise<Buffer> => assert.fail('a plain key must not ask for a password')

const cases: Array<{name: string; algorithm: KeyAlgorithm; make: () => ReturnType<typeof generateKeyPairSync>}> = [
  {name: 'P-256', algorithm: 'ecdsa-p256-sha256', make: () => generateKeyPairSync('ec', {namedCurve: 'P-256'})},
  {name: 'P-384', algorithm: 'ecdsa-p384-sha384', make: () => generateKeyPairSync('ec', {namedCurve: 'P-384'})},
  {name: 'P-521', algorithm: 'ecdsa-p521-sha512', make: () => generateKeyPairSync('ec', {namedCurve: 'P-521'})},
  {name: 'RSA 2048', algorithm: 'rsa-pkcs1v15-sha256', make: () => generateKeyPairSync('rsa', {modulusLength: 2048})},
  {name: 'RSA 4096', algorithm: 'rsa-pkcs1v15-sha256', make: () => generateKeyPairSync('rsa', {modulusLength: 4096})},
  {name: 'Ed25519', algorithm: 'ed25519', make: () => generateKeyPairSync('ed25519')},
]

describe('plain PEM private keys', () => {
  for (const {name, algorithm, make} of cases) {
    it(`PKCS#8 ${name}: signs, and the public key verifies`, async (t) => {
      const dir = await tempDir(t)
      const {privateKey, publicKey} = make()
      await writeFile(join(dir, 'k.pem'), privateKey.export({type: 'pkcs8', format: 'pem'}))
      await writeFile(join(dir, 'k.pub'), publicKey.export({type: 'spki', format: 'pem'}))
      const signer = await loadSigner(join(dir, 'k.pem'), noPassword)
      const verifier = await loadVerifier(join(dir, 'k.pub'))
      assert.equal(signer.algorithm, algorithm)
      assert.equal(verifier.algorithm, algorithm)
      assert.equal(signer.publicKeyPem, verifier.publicKeyPem)
      const data = Buffer.from(`signed by ${name}`)
      const signature = await signer.sign(data)
      assert.ok(verifier.verify(data, signature))
      assert.equal(verifier.verify(Buffer.from('other data'), signature), false)
      assert.equal(verifier.verify(data, Buffer.from('garbage')), false)
    })
  }

  it('ECDSA signatures are ASN.1 DER with the curve digest (P-384 → SHA-384)', async (t) => {
    const dir = await tempDir(t)
    const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-384'})
    await writeFile(join(dir, 'k.pem'), privateKey.export({type: 'pkcs8', format: 'pem'}))
    const signature = await (await loadSigner(join(dir, 'k.pem'), noPassword)).sign(Buffer.from('x'))
    assert.equal(signature[0], 0x30) // SEQUENCE
    const {verify} = await import('node:crypto')
    assert.ok(verify('sha384', Buffer.from('x'), publicKey, signature))
  })

  it('reads EC PRIVATE KEY (SEC1), also after an EC PARAMETERS block', async (t) => {
    const dir = await tempDir(t)
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    const sec1 = privateKey.export({type: 'sec1', format: 'pem'}).toString()
    await writeFile(join(dir, 'ec.pem'), `-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${sec1}`)
    assert.equal((await loadSigner(join(dir, 'ec.pem'), noPassword)).algorithm, 'ecdsa-p256-sha256')
  })

  it('reads RSA PRIVATE KEY (PKCS#1)', async (t) => {
    const dir = await tempDir(t)
    const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 3072})
    await writeFile(join(dir, 'rsa.pem'), privateKey.export({type: 'pkcs1', format: 'pem'}))
    assert.equal((await loadSigner(join(dir, 'rsa.pem'), noPassword)).algorithm, 'rsa-pkcs1v15-sha256')
  })

  for (const [name, make] of [
    ['RSA 1024', () => generateKeyPairSync('rsa', {modulusLength: 1024})],
    ['EC secp256k1', () => generateKeyPairSync('ec', {namedCurve: 'secp256k1'})],
    ['Ed448', () => generateKeyPairSync('ed448')],
  ] as const) {
    it(`refuses ${name}, naming the file and the supported algorithms`, async (t) => {
      const file = join(await tempDir(t), 'weak.pem')
      await writeFile(file, make().privateKey.export({type: 'pkcs8', format: 'pem'}))
      await rejectsWith(loadSigner(file, noPassword), 'KEY_INVALID', file, 'ECDSA P-256', 'Ed25519')
    })
  }
})

describe('key file errors', () => {
  it('missing key file → KEY_NOT_FOUND naming it', async (t) => {
    const file = join(await tempDir(t), 'nope.key')
    await rejectsWith(loadSigner(file, noPassword), 'KEY_NOT_FOUND', `key file ${file} not found`)
    await rejectsWith(loadVerifier(file), 'KEY_NOT_FOUND', file)
  })

  it('garbage, wrong labels and bad base64 → KEY_INVALID naming the file', async (t) => {
    const dir = await tempDir(t)
    const files: Record<string, string> = {
      'garbage.key': 'this is not a key at all\n',
      'cert.pem': '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      'pub-as-private.key': generateKeyPairSync('ed25519').publicKey.export({type: 'spki', format: 'pem'}).toString(),
      'bad-base64.key': '-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n',
      'bad-der.key': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
    }
    for (const [name, text] of Object.entries(files)) {
      await writeFile(join(dir, name), text)
      await rejectsWith(loadSigner(join(dir, name), noPassword), 'KEY_INVALID', join(dir, name))
    }

    await rejectsWith(loadSigner(join(dir, 'garbage.key'), noPassword), 'KEY_INVALID', 'is not a PEM private key')
  })

  it('a directory is not a key file', async (t) => {
    const dir = join(await tempDir(t), 'sub')
    await mkdir(dir)
    await rejectsWith(loadSigner(dir, noPassword), 'KEY_INVALID', dir)
  })

  it('legacy OpenSSL-encrypted PEM → KEY_INVALID with a way out', async (t) => {
    const file = join(await tempDir(t), 'legacy.pem')
    await writeFile(file, '-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n')
    await rejectsWith(loadSigner(file, noPassword), 'KEY_INVALID', file, 'not supported')
  })

  it('loadVerifier takes only PUBLIC KEY', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'priv.pem'), generateKeyPairSync('ed25519').privateKey.export({type: 'pkcs8', format: 'pem'}))
    await rejectsWith(loadVerifier(join(dir, 'priv.pem')), 'KEY_INVALID', 'PUBLIC KEY')
    await writeFile(join(dir, 'junk.pub'), 'junk')
    await rejectsWith(loadVerifier(join(dir, 'junk.pub')), 'KEY_INVALID', join(dir, 'junk.pub'))
    assert.throws(() => verifierFromPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'inline'), /inline/)
  })
})

describe('encrypted keys through loadSigner', () => {
  it('asks for the password only once per file and process (memoised by resolved path)', async (t) => {
    const dir = await tempDir(t)
    const der = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})
    await writeFile(join(dir, 'm.key'), await encryptKey(der, Buffer.from('pw')))
    let asked = 0
    const password = async () => {
      asked++
      return Buffer.from('pw')
    }

    const [a, b] = await Promise.all([loadSigner(join(dir, 'm.key'), password), loadSigner(join(dir, 'm.key'), password)])
    const c = await loadSigner(relative(process.cwd(), join(dir, 'm.key')), password)
    assert.equal(asked, 1)
    assert.equal(a, b)
    assert.equal(a, c)
    forgetLoadedSigners()
    await loadSigner(join(dir, 'm.key'), password)
    assert.equal(asked, 2)
  })

  it('does not remember a failure: a wrong password can be retried', async (t) => {
    const key = join(await tempDir(t), 'r.key')
    const der = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})
    await writeFile(key, await encryptKey(der, Buffer.from('pw')))
    await rejectsWith(loadSigner(key, staticPassword('nope')), 'KEY_PASSWORD', 'wrong password')
    assert.equal((await loadSigner(key, staticPassword('pw'))).algorithm, 'ecdsa-p256-sha256')
  })

  it('without any password source → KEY_PASSWORD telling how to give one', async (t) => {
    const key = join(await tempDir(t), 'np.key')
    const der = generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})
    await writeFile(key, await encryptKey(der, Buffer.from('pw')))
    await rejectsWith(
      loadSigner(key, passwordSource({env: {}, interactive: false})),
      'KEY_PASSWORD',
      `${key} is encrypted: set COSIGN_PASSWORD or pass --password-file`,
    )
  })
})
