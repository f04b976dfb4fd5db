/**
 * `pkcs11:` keys in process, against a real SoftHSM2 token: signers for P-256, P-384 and RSA whose
 * signatures verify with the public key read from the token, one login per token, parallel
 * signing serialised on the session, and each failure a PluginError of the key class.
 */
import assert from 'node:assert/strict'
import {createHash, verify} from 'node:crypto'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DIGEST, forgetLoadedSigners, loadSigner, loadVerifier, passwordSource, staticPassword, type PasswordSource} from '../../../src/keys/index.js'
import {closeTokens, listKeys, listTokens} from '../../../src/keys/pkcs11/index.js'
import {repoRoot} from '../../helpers/paths.js'
import {createSoftHsm, SOFTHSM_MODULE, type SoftHsmToken} from '../../helpers/softhsm.js'
import {rejectsWith} from '../support.js'

const hsm = createSoftHsm()
// SoftHSM reads its configuration when this process first initializes the module.
process.env.SOFTHSM2_CONF = hsm.env.SOFTHSM2_CONF

/** A password source that counts how often the PIN is asked for. */
function counting(pin: string): PasswordSource & {calls: number} {
  const source = Object.assign(async (_what: string, kind?: string) => {
    source.calls++
    assert.equal(kind, 'pin')
    return Buffer.from(pin)
  }, {calls: 0})
  return source
}

describe('pkcs11: keys in a SoftHSM2 token', () => {
  let main: SoftHsmToken
  let wrong: SoftHsmToken
  let locked: SoftHsmToken
  before(() => {
    main = hsm.initToken('main', '1234')
    hsm.generateKey(main, 'EC:prime256v1', 'k256', '01')
    hsm.generateKey(main, 'EC:secp384r1', 'k384', '02')
    hsm.generateKey(main, 'rsa:2048', 'rsa', '03')
    hsm.generateKey(main, 'EC:secp256k1', 'k1', '04')
    hsm.generateKey(main, 'EC:prime256v1', 'nopub', '05')
    hsm.deletePublicKey(main, '05')
    hsm.generateKey(main, 'rsa:1024', 'rsa1024', '06')
    hsm.generateKey(main, 'EC:secp521r1', 'k521', '07')
    wrong = hsm.initToken('wrong-pin', '2468')
    hsm.generateKey(wrong, 'EC:prime256v1', 'k', '01')
    locked = hsm.initToken('locked', '1357')
    hsm.generateKey(locked, 'EC:prime256v1', 'k', '01')
    hsm.lockUserPin(locked)
  })
  after(async () => {
    forgetLoadedSigners()
    await closeTokens()
  })

  for (const [label, id, algorithm] of [['k256', '01', 'ecdsa-p256-sha256'], ['k384', '02', 'ecdsa-p384-sha384'], ['rsa', '03', 'rsa-pkcs1v15-sha256'], ['k521', '07', 'ecdsa-p521-sha512']] as const) {
    it(`${label}: signs in the token as cosign does (${algorithm}); the signature verifies with the public key read from the token`, async () => {
      const signer = await loadSigner(hsm.uri(main, {object: label}), staticPassword('1234'))
      assert.equal(signer.algorithm, algorithm)
      assert.equal(signer.signPieces, undefined, 'the whole message is signed with sign()')
      const data = Buffer.from(`payload for ${label}`)
      const signature = await signer.sign(data)
      assert.ok(verify(DIGEST[algorithm]!, data, signer.publicKeyPem, signature))
      if (algorithm.startsWith('ecdsa')) assert.equal(signature[0], 0x30, 'ASN.1 DER, not r‖s')
      // The verifier from the same URI (by id, no PIN) has the same public key.
      const verifier = await loadVerifier(hsm.uri(main, {id}))
      assert.equal(verifier.publicKeyPem, signer.publicKeyPem)
      assert.ok(verifier.verify(data, signature))
      assert.ok(!verifier.verify(Buffer.from('another payload'), signature))
    })
  }

  it('RSA is PKCS#1 v1.5 over SHA-256: the same bytes a SHA-256 DigestInfo gives', async () => {
    const signer = await loadSigner(hsm.uri(main, {object: 'rsa'}), staticPassword('1234'))
    const data = Buffer.from('deterministic')
    const [first, second] = [await signer.sign(data), await signer.sign(data)]
    assert.deepEqual(first, second, 'PKCS#1 v1.5 is deterministic')
    assert.ok(verify('sha256', data, signer.publicKeyPem, first))
    assert.ok(!verify('sha384', data, signer.publicKeyPem, first))
    assert.equal(createHash('sha256').update(data).digest().length, 32)
  })

  it('one login per token: keys on it share the session and the PIN is asked for once; a key loads once', async () => {
    forgetLoadedSigners()
    await closeTokens()
    const pin = counting('1234')
    const [a, b, again] = await Promise.all([
      loadSigner(hsm.uri(main, {id: '01'}), pin),
      loadSigner(hsm.uri(main, {id: '03'}), pin),
      loadSigner(hsm.uri(main, {id: '01'}), pin),
    ])
    assert.equal(pin.calls, 1)
    assert.equal(a, again)
    assert.notEqual(a.publicKeyPem, b.publicKeyPem)
  })

  it('signatures made in parallel on one token are serialised on its session, and all verify', async () => {
    const p256 = await loadSigner(hsm.uri(main, {object: 'k256'}), staticPassword('1234'))
    const rsa = await loadSigner(hsm.uri(main, {object: 'rsa'}), staticPassword('1234'))
    const messages = Array.from({length: 48}, (_, i) => Buffer.from(`message ${i}`))
    const signatures = await Promise.all(messages.map((m, i) => (i % 2 === 0 ? p256 : rsa).sign(m)))
    for (const [i, signature] of signatures.entries()) {
      const signer = i % 2 === 0 ? p256 : rsa
      assert.ok(verify('sha256', messages[i]!, signer.publicKeyPem, signature), `signature ${i}`)
    }
  })

  it('the PIN comes from pin-value, pin-source (file: URI or path), the password file, or COSIGN_PKCS11_PIN / COSIGN_PASSWORD', async () => {
    const pinFile = join(hsm.dir, 'pin.txt')
    writeFileSync(pinFile, '1234\n')
    const sources: [string, PasswordSource][] = [
      [hsm.uri(main, {object: 'k256'}, {'pin-value': '1234'}), staticPassword('not asked')],
      [hsm.uri(main, {object: 'k256'}, {'pin-source': `file://${pinFile}`}), staticPassword('not asked')],
      [hsm.uri(main, {object: 'k256'}, {'pin-source': pinFile}), staticPassword('not asked')],
      [hsm.uri(main, {object: 'k256'}), passwordSource({passwordFile: pinFile, interactive: false})],
      [hsm.uri(main, {object: 'k256'}), passwordSource({env: {COSIGN_PKCS11_PIN: '1234', COSIGN_PASSWORD: 'wrong'}, interactive: false})],
      [hsm.uri(main, {object: 'k256'}), passwordSource({env: {COSIGN_PASSWORD: '1234'}, interactive: false})],
    ]
    for (const [uri, password] of sources) {
      forgetLoadedSigners()
      await closeTokens()
      const signer = await loadSigner(uri, password)
      assert.ok(verify('sha256', Buffer.from('x'), signer.publicKeyPem, await signer.sign(Buffer.from('x'))), uri)
    }

    forgetLoadedSigners()
    await closeTokens()
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'k256'}), passwordSource({env: {}, interactive: false})), 'KEY_PASSWORD', 'token "main"', 'needs its PIN')
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'k256'}, {'pin-source': join(hsm.dir, 'absent')}), staticPassword('x')), 'KEY_NOT_FOUND', 'pin-source')
  })

  it('a wrong PIN is KEY_PASSWORD naming the token, never the PIN, and is not tried again in the run', async () => {
    const pin = counting('SENTINEL-wrong-pin')
    const error = await rejectsWith(loadSigner(hsm.uri(wrong, {object: 'k'}), pin), 'KEY_PASSWORD', 'token "wrong-pin"', 'wrong PIN (CKR_PIN_INCORRECT)')
    assert.ok(!error.message.includes('SENTINEL'))
    await rejectsWith(loadSigner(hsm.uri(wrong, {object: 'k'}), pin), 'KEY_PASSWORD', 'wrong PIN')
    assert.equal(pin.calls, 1, 'a token counts wrong PINs: one try per run')
  })

  it('a locked PIN is refused before a try', async () => {
    const pin = counting('1357')
    await rejectsWith(loadSigner(hsm.uri(locked, {object: 'k'}), pin), 'KEY_PASSWORD', 'token "locked"', 'locked', 'CKR_PIN_LOCKED')
    assert.equal(pin.calls, 0)
  })

  it('a token, key or public key object that is not there, an unsupported key, a module that is missing or not PKCS#11: KEY_* errors', async () => {
    const pin = staticPassword('1234')
    await rejectsWith(loadSigner(hsm.uri({...main, label: 'absent'}, {object: 'k256'}), pin), 'KEY_NOT_FOUND', 'no token with label "absent"', '"main" (slot-id')
    await rejectsWith(loadSigner(`pkcs11:slot-id=99;object=k256?module-path=${SOFTHSM_MODULE}`, pin), 'KEY_NOT_FOUND', 'no token with slot-id 99')
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'absent'}), pin), 'KEY_NOT_FOUND', 'no private key with object="absent" in token "main"')
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'nopub'}), pin), 'KEY_NOT_FOUND', 'no public key object with id=%05')
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'k1'}), pin), 'KEY_INVALID', 'EC key on curve secp256k1, which is not supported; supported: ECDSA P-256')
    await rejectsWith(loadSigner(hsm.uri(main, {object: 'rsa1024'}), pin), 'KEY_INVALID', 'unsupported key (RSA 1024 bits)')
    await rejectsWith(loadVerifier(hsm.uri(main, {object: 'absent'})), 'KEY_NOT_FOUND', 'no public key object with object="absent"')
    const uri = (module: string) => `pkcs11:token=main;object=k256?module-path=${module}`
    await rejectsWith(loadSigner(uri('/nonexistent/libp11.so'), pin), 'KEY_NOT_FOUND', 'PKCS#11 module /nonexistent/libp11.so not found')
    const text = join(hsm.dir, 'not-a-library.so')
    writeFileSync(text, 'not a shared library\n')
    await rejectsWith(loadSigner(uri(text), pin), 'KEY_INVALID', `${text} is not a PKCS#11 module: it cannot be loaded as a shared library`)
    // A real shared library without the PKCS#11 entry point: the binding's own.
    const library = join(repoRoot, 'node_modules/pkcs11js/build/Release/pkcs11.node')
    await rejectsWith(loadSigner(uri(library), pin), 'KEY_INVALID', `${library} is not a PKCS#11 module: it has no C_GetFunctionList`)
  })

  it('lists the tokens, and the keys of one with their URIs and public keys', async () => {
    const tokens = await listTokens(SOFTHSM_MODULE)
    const mainToken = tokens.find((t) => t.label === 'main')
    assert.deepEqual(mainToken, {slotId: main.slotId, label: 'main', manufacturer: 'SoftHSM project', model: 'SoftHSM v2', serial: mainToken?.serial, initialized: true, loginRequired: true})
    assert.ok(tokens.some((t) => !t.initialized), 'SoftHSM keeps a free slot')
    const keys = await listKeys(SOFTHSM_MODULE, {token: 'main', password: staticPassword('1234')})
    assert.deepEqual(keys.map((k) => [k.id, k.label, k.type, k.supported]), [
      ['01', 'k256', 'ECDSA P-256', true],
      ['02', 'k384', 'ECDSA P-384', true],
      ['03', 'rsa', 'RSA 2048 bits', true],
      ['04', 'k1', 'EC', false],
      ['05', 'nopub', 'EC', false],
      ['06', 'rsa1024', 'RSA 1024 bits', false],
      ['07', 'k521', 'ECDSA P-521', true],
    ])
    assert.equal(keys[0]!.uri, `pkcs11:token=main;slot-id=${main.slotId};id=%01;object=k256?module-path=${SOFTHSM_MODULE}`)
    const signer = await loadSigner(keys[0]!.uri, staticPassword('1234'))
    assert.equal(keys[0]!.publicKey, signer.publicKeyPem)
  })
})
