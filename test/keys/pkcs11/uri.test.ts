import assert from 'node:assert/strict'
import {generateKeyPairSync, sign, verify} from 'node:crypto'
import {describe, it} from 'node:test'

import {type ErrorCode, isPluginError} from '../../../src/errors.js'
import {rawToDer} from '../../../src/keys/pkcs11/signer.js'
import {displayUri, formatPkcs11Uri, isPkcs11Uri, parsePkcs11Uri} from '../../../src/keys/pkcs11/uri.js'

const MODULE = '/usr/lib/softhsm/libsofthsm2.so'

function refused(uri: string, fragment: string, code: ErrorCode = 'KEY_INVALID', env: Record<string, string> = {}): string {
  let message = ''
  assert.throws(
    () => parsePkcs11Uri(uri, env),
    (error) => {
      assert.ok(isPluginError(error), String(error))
      assert.equal(error.code, code)
      message = error.message
      return true
    },
  )
  assert.ok(message.includes(fragment), `"${message}" lacks "${fragment}"`)
  assert.ok(!message.includes('s3cr3t') && !message.includes('-pin'), `the PIN is in "${message}"`)
  return message
}

describe('pkcs11: URIs (RFC 7512, as cosign takes them)', () => {
  it('reads token, slot-id, object and percent-encoded id in the path; module-path and pin-value in the query', () => {
    const uri = parsePkcs11Uri(`pkcs11:token=My%20Token;slot-id=1866532849;object=release%2Fkey;id=%01%ff?module-path=${MODULE}&pin-value=1234`)
    assert.equal(uri.token, 'My Token')
    assert.equal(uri.slotId, 1_866_532_849n)
    assert.equal(uri.object, 'release/key')
    assert.deepEqual(uri.id, Buffer.from([0x01, 0xff]))
    assert.equal(uri.modulePath, MODULE)
    assert.equal(uri.pinValue, '1234')
    assert.equal(uri.display, `pkcs11:token=My%20Token;slot-id=1866532849;object=release%2Fkey;id=%01%ff?module-path=${MODULE}`)
  })

  it('takes pin-source, type, cosign\'s ";" in the query, and COSIGN_PKCS11_MODULE_PATH when module-path is absent', () => {
    const uri = parsePkcs11Uri('pkcs11:token=T;object=k;type=private?pin-source=file:///run/pin', {COSIGN_PKCS11_MODULE_PATH: MODULE})
    assert.equal(uri.modulePath, MODULE)
    assert.equal(uri.pinSource, 'file:///run/pin')
    assert.equal(uri.type, 'private')
    assert.equal(parsePkcs11Uri(`pkcs11:slot-id=3;id=%02?module-path=${MODULE};pin-value=x`).pinValue, 'x')
    assert.ok(isPkcs11Uri('PKCS11:token=T') && !isPkcs11Uri('/keys/cosign.key') && !isPkcs11Uri('pkcs11.key'))
  })

  it('names what is missing or wrong in one sentence, never quoting the PIN', () => {
    refused(`pkcs11:object=k?module-path=${MODULE}&pin-value=s3cr3t-pin`, 'name the token with token=LABEL or slot-id=N')
    refused(`pkcs11:token=T?module-path=${MODULE}&pin-value=s3cr3t-pin`, 'name the key with object=LABEL or id=ID')
    refused('pkcs11:token=T;object=k?pin-value=s3cr3t-pin', 'module-path is missing')
    refused('pkcs11:token=T;object=k?module-path=libsofthsm2.so', 'module-path libsofthsm2.so is not an absolute path')
    refused(`pkcs11:token=T;slot-id=one;object=k?module-path=${MODULE}`, 'slot-id "one" is not a number')
    refused(`pkcs11:token=T;object=k;object=j?module-path=${MODULE}`, 'object is given twice')
    refused(`pkcs11:token=T;object=k;colour=blue?module-path=${MODULE}`, 'unsupported path attribute colour; supported: token,')
    refused(`pkcs11:token=T;object=k?module-name=softhsm2`, 'unsupported query attribute module-name')
    refused(`pkcs11:token=T;object=k?module-path=${MODULE}&pin-value=s3cr3t;-pin`, 'the query has a part without a value')
    refused(`pkcs11:token=T;object=k?module-path=${MODULE}&pin-value=s3cr3t&-pin=x`, 'unsupported query attribute (not quoted')
    refused(`pkcs11:token=T;object=k%zz?module-path=${MODULE}`, 'object=k%zz has a malformed %-escape')
    refused(`pkcs11:token=T;object=k?module-path=${MODULE}&pin-value=s3cr3t%zz`, 'pin-value has a malformed %-escape')
    refused(`pkcs11:token=T;object=k;type=cert?module-path=${MODULE}`, 'type=cert names no key')
    refused(`pkcs11:token=T;object=k?module-path=${MODULE}&pin-value=s3cr3t-pin&pin-source=/f`, 'pin-value or pin-source, not both')
    const message = refused(`pkcs11:token=T?module-path=${MODULE}&pin-value=s3cr3t-pin`, `invalid PKCS#11 URI pkcs11:token=T?module-path=${MODULE}:`)
    assert.ok(!message.includes('pin-value'))
  })

  it('prints without pin-value, even a URI that does not parse', () => {
    assert.equal(displayUri('pkcs11:token=T;object=k?pin-value=1234&module-path=/m.so'), 'pkcs11:token=T;object=k?module-path=/m.so')
    assert.equal(displayUri('pkcs11:token=T;object=k?pin-value=1234'), 'pkcs11:token=T;object=k')
    // A PIN with an unescaped ; or & leaves no tail behind.
    assert.equal(displayUri('pkcs11:token=T?PIN-VALUE=12;34&x&module-path=/m.so'), 'pkcs11:token=T?module-path=/m.so')
    assert.equal(displayUri('/keys/cosign.key'), '/keys/cosign.key')
  })

  it('builds the URIs list-keys prints as cosign does (every id byte encoded, no PIN) and reads them back', () => {
    const text = formatPkcs11Uri({token: 'CI token', slotId: 7n, id: Buffer.from([0xa0, 0x01]), object: 'release key', modulePath: '/opt/hsm/lib pkcs11.so'})
    assert.equal(text, 'pkcs11:token=CI%20token;slot-id=7;id=%a0%01;object=release%20key?module-path=/opt/hsm/lib%20pkcs11.so')
    const back = parsePkcs11Uri(text)
    assert.deepEqual([back.token, back.slotId, back.id, back.object, back.modulePath], ['CI token', 7n, Buffer.from([0xa0, 0x01]), 'release key', '/opt/hsm/lib pkcs11.so'])
  })
})

describe("the token's ECDSA r‖s as the ASN.1 DER cosign writes", () => {
  for (const [curve, bytes] of [['P-256', 32], ['P-384', 48], ['P-521', 66]] as const) {
    it(`${curve}: the DER of r‖s verifies with OpenSSL, which accepts only minimal DER`, () => {
      const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: curve})
      for (let i = 0; i < 20; i++) {
        const data = Buffer.from(`message ${i}`)
        const raw = sign(null, data, {key: privateKey, dsaEncoding: 'ieee-p1363'})
        assert.equal(raw.length, 2 * bytes)
        const der = rawToDer(raw)
        assert.equal(der[0], 0x30)
        assert.ok(verify(null, data, publicKey, der))
      }
    })
  }

  it('handles short integers and high bits', () => {
    const raw = Buffer.concat([Buffer.alloc(31, 0), Buffer.of(0x05), Buffer.of(0x80), Buffer.alloc(31, 1)])
    assert.equal(rawToDer(raw).toString('hex'), `3026020105022100${'80'}${'01'.repeat(31)}`)
  })
})
