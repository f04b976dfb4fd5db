import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {EnvelopeChunks, envelopeBytes, envelopeParts, pae, parseEnvelope} from '../../src/formats/dsse.js'
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

/** The chunked envelope of `payload` fed in the pieces that `cuts` (sorted offsets) make. */
function chunked(payloadType: string, payload: Buffer, cuts: number[], signature: Buffer): Buffer[] {
  const envelope = new EnvelopeChunks(payloadType)
  let at = 0
  for (const cut of [...cuts, payload.length]) {
    envelope.update(payload.subarray(at, cut))
    at = cut
  }

  return envelope.finish(signature)
}

describe('EnvelopeChunks (a large envelope as chunks)', () => {
  const payloadAndCuts = (maxLength: number) =>
    fc.uint8Array({maxLength}).chain((bytes) =>
      fc.tuple(fc.constant(Buffer.from(bytes)), fc.uniqueArray(fc.nat({max: bytes.length}), {maxLength: 12}).map((cuts) => cuts.sort((a, b) => a - b))),
    )

  it('is byte for byte the one-buffer envelope, however the payload is cut into pieces', () => {
    fc.assert(
      fc.property(payloadAndCuts(3000), fc.uint8Array({maxLength: 600}), fc.string(), ([payload, cuts], signature, payloadType) => {
        const expected = envelopeBytes(payloadType, payload, Buffer.from(signature))
        assert.deepEqual(Buffer.concat(chunked(payloadType, payload, cuts, Buffer.from(signature))), expected)
      }),
      {numRuns: 500},
    )
  })

  it('is byte for byte the one-buffer envelope across its 1 MiB chunk edges', () => {
    fc.assert(
      fc.property(fc.integer({min: 786_430, max: 2 * 786_432 + 3}), fc.array(fc.nat({max: 2 * 786_432 + 3}), {maxLength: 4}), (size, cuts) => {
        const payload = randomBytes(size)
        const signature = randomBytes(71)
        const sorted = cuts.map((cut) => cut % (size + 1)).sort((a, b) => a - b)
        const chunks = chunked('application/vnd.in-toto+json', payload, sorted, signature)
        assert.deepEqual(Buffer.concat(chunks), envelopeBytes('application/vnd.in-toto+json', payload, signature))
        // Head, 1 MiB chunks, the rest, the tail: never one piece of the envelope's size.
        assert.ok(chunks.every((chunk) => chunk.length <= 1024 * 1024))
      }),
      {numRuns: 25},
    )
  })
})

describe('envelopeParts (reading our layout without parsing it whole)', () => {
  it("finds the payload's base64 and the signatures of envelopeBytes' layout", () => {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 500}), fc.uint8Array({maxLength: 200}), (payload, signature) => {
        const bytes = envelopeBytes('application/vnd.in-toto+json', Buffer.from(payload), Buffer.from(signature))
        const parts = envelopeParts(bytes, 'application/vnd.in-toto+json')
        assert.ok(parts)
        assert.equal(parts.payloadBase64.toString('latin1'), Buffer.from(payload).toString('base64'))
        assert.deepEqual(parts.signatures, [Buffer.from(signature)])
      }),
    )
  })

  it('leaves every other layout to parseEnvelope', () => {
    const payload = Buffer.from([0x61, 0xff, 0xfe]).toString('base64') // "Yf/+": a slash to escape
    const others = [
      `{"payload":"${payload}","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA==","keyid":""}]}`,
      `{"payloadType":"application/vnd.in-toto+json","payload":"${payload.replace('/', '\\/')}","signatures":[{"keyid":"","sig":"AA=="}]}`,
      `{"payloadType":"application/vnd.in-toto+json","payload":"${payload}"}`,
      `{"payloadType":"text/plain","payload":"${payload}","signatures":[]}`,
      `{"payloadType":"application/vnd.in-toto+json","payload":"${payload}","signatures":[{"keyid":"","sig":"AA=="}]`,
    ]
    for (const text of others) assert.equal(envelopeParts(Buffer.from(text), 'application/vnd.in-toto+json'), undefined, text)
    assert.ok(parseEnvelope(Buffer.from(others[0]!)))
  })
})

describe('compactJson (Go json.Compact)', () => {
  it('drops whitespace outside strings and keeps the rest byte for byte', () => {
    const source = '{\n  "a" : 1.0,\t"b": [ 1e3 , "x y\\" z" ],\r\n "ü": "\\u00fc \\\\" }\n'
    assert.equal(compactJson(Buffer.from(source)).toString(), '{"a":1.0,"b":[1e3,"x y\\" z"],"ü":"\\u00fc \\\\"}')
  })
})
