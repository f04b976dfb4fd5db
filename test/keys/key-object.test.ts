import assert from 'node:assert/strict'
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'

import {signerFromKey, verifierFromKey} from '../../src/keys/key-object.js'

const KEYS = {
  'ecdsa-p256-sha256': () => generateKeyPairSync('ec', {namedCurve: 'prime256v1'}),
  'ecdsa-p384-sha384': () => generateKeyPairSync('ec', {namedCurve: 'secp384r1'}),
  'ecdsa-p521-sha512': () => generateKeyPairSync('ec', {namedCurve: 'secp521r1'}),
  'rsa-pkcs1v15-sha256': () => generateKeyPairSync('rsa', {modulusLength: 2048}),
}

describe('signing a message in pieces', () => {
  for (const [algorithm, generate] of Object.entries(KEYS)) {
    it(`${algorithm}: the pieces' signature verifies as the whole message's`, async () => {
      const {privateKey, publicKey} = generate()
      const signer = signerFromKey(privateKey, 'test key')
      const verifier = verifierFromKey(publicKey, 'test key')
      assert.equal(signer.algorithm, algorithm)
      const message = randomBytes(300_000)
      const pieces = signer.signPieces!()
      const cuts = [0, 1, 1000, 150_000, message.length]
      for (let i = 1; i < cuts.length; i++) pieces.update(message.subarray(cuts[i - 1], cuts[i]))
      const signature = await pieces.sign()
      assert.ok(verifier.verify(message, signature))
      assert.ok(!verifier.verify(message.subarray(1), signature))
      if (algorithm.startsWith('rsa')) assert.deepEqual(signature, await signer.sign(message)) // PKCS#1 v1.5 is deterministic
    })
  }

  it('ed25519 signs whole messages only: no signPieces', async () => {
    const {privateKey, publicKey} = generateKeyPairSync('ed25519')
    const signer = signerFromKey(privateKey, 'test key')
    assert.equal(signer.signPieces, undefined)
    const message = randomBytes(1000)
    assert.ok(verifierFromKey(publicKey, 'test key').verify(message, await signer.sign(message)))
  })
})
