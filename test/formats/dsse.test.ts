import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'

import {envelopeBytes, pae} from '../../src/formats/dsse.js'
import {compactJson} from '../../src/formats/json-compact.js'

describe('DSSE envelope bytes', () => {
  for (const size of [0, 1, 2, 3, 3 * 1024 * 1024, 3 * 1024 * 1024 + 1, 7 * 1024 * 1024 + 2]) {
    it(`encode a ${size}-byte payload exactly like JSON.stringify of the base64 (chunk edges)`, () => {
      const payload = randomBytes(size)
      const signature = randomBytes(70)
      const expected = JSON.stringify({
        payloadType: 'application/vnd.in-toto+json',
        payload: payload.toString('base64'),
        signatures: [{keyid: '', sig: signature.toString('base64')}],
      })
      assert.equal(envelopeBytes('application/vnd.in-toto+json', payload, signature).toString('latin1'), expected)
    })
  }

  it('PAE counts bytes, not characters', () => {
    assert.equal(pae('t', Buffer.from('é')).toString(), 'DSSEv1 1 t 2 é')
  })
})

describe('compactJson (Go json.Compact)', () => {
  it('drops whitespace outside strings and keeps the rest byte for byte', () => {
    const source = '{\n  "a" : 1.0,\t"b": [ 1e3 , "x y\\" z" ],\r\n "ü": "\\u00fc \\\\" }\n'
    assert.equal(compactJson(Buffer.from(source)).toString(), '{"a":1.0,"b":[1e3,"x y\\" z"],"ü":"\\u00fc \\\\"}')
  })
})
