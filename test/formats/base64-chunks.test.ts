import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {BASE64_CHUNK_BYTES, Base64Chunks, isBase64Of} from '../../src/formats/base64-chunks.js'

/** Bytes and a few sorted cut points in them. */
const bytesAndCuts = (maxLength: number) =>
  fc.uint8Array({maxLength}).chain((bytes) =>
    fc.tuple(fc.constant(Buffer.from(bytes)), fc.uniqueArray(fc.nat({max: bytes.length}), {maxLength: 12}).map((cuts) => cuts.sort((a, b) => a - b))),
  )

function pieces(bytes: Buffer, cuts: number[]): Buffer[] {
  const edges = [0, ...cuts, bytes.length]
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end))
}

function encode(parts: Buffer[], reuse = false): Buffer[] {
  const chunks: Buffer[] = []
  const base64 = new Base64Chunks((chunk) => chunks.push(reuse ? Buffer.from(chunk) : chunk), reuse)
  for (const part of parts) base64.update(part)
  base64.end()
  return chunks
}

describe('Base64Chunks', () => {
  it("is Node's base64, however the input is cut into pieces", () => {
    fc.assert(
      fc.property(bytesAndCuts(3000), fc.boolean(), ([bytes, cuts], reuse) => {
        assert.equal(Buffer.concat(encode(pieces(bytes, cuts), reuse)).toString('latin1'), bytes.toString('base64'))
      }),
      {numRuns: 500},
    )
  })

  it('hands out full 1 MiB chunks, then the rest', () => {
    const bytes = Buffer.alloc(2 * 786_432 + 4, 7)
    const chunks = encode([bytes.subarray(0, 5), bytes.subarray(5)])
    assert.deepEqual(chunks.map((c) => c.length), [BASE64_CHUNK_BYTES, BASE64_CHUNK_BYTES, 8])
    assert.equal(Buffer.concat(chunks).toString('latin1'), bytes.toString('base64'))
  })
})

describe('isBase64Of', () => {
  it('accepts exactly the base64 of the pieces', () => {
    fc.assert(
      fc.property(bytesAndCuts(2000), fc.nat(), ([bytes, cuts], flip) => {
        const encoded = Buffer.from(bytes.toString('base64'))
        assert.equal(isBase64Of(encoded, pieces(bytes, cuts)), true)
        assert.equal(isBase64Of(Buffer.concat([encoded, Buffer.from('AAAA')]), pieces(bytes, cuts)), false)
        if (encoded.length > 0) {
          const changed = Buffer.from(encoded)
          changed[flip % changed.length] = changed[flip % changed.length] === 0x41 ? 0x42 : 0x41
          assert.equal(isBase64Of(changed, pieces(bytes, cuts)), false)
          assert.equal(isBase64Of(encoded.subarray(0, -4), pieces(bytes, cuts)), false)
        }
      }),
      {numRuns: 300},
    )
  })
})
