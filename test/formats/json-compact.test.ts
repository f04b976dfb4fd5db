import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import fc from 'fast-check'

import {compactedLength, compactJson, compactPieces} from '../../src/formats/json-compact.js'

/** JSON text with whitespace everywhere it may go, and strings full of escapes and spaces. */
const spacedJson = fc
  .tuple(fc.json(), fc.array(fc.constantFrom(' ', '\n', '\t', '\r', '  \n '), {minLength: 1, maxLength: 5}))
  .map(([text, spaces]) => {
    let i = 0
    // Re-space JSON.stringify's output outside strings: after every structural character.
    return text.replace(/("(?:[^"\\]|\\.)*")|([{}[\],:])/g, (match, string: string | undefined) => (string ? match : `${match}${spaces[i++ % spaces.length]}`))
  })

describe('compactPieces (compaction in pieces)', () => {
  it('concatenates to compactJson, whatever the window, and its length is compactedLength', () => {
    fc.assert(
      fc.property(spacedJson, fc.integer({min: 1, max: 64}), (text, window) => {
        const source = Buffer.from(text)
        const pieces = [...compactPieces(source, window)]
        assert.deepEqual(Buffer.concat(pieces), compactJson(source))
        assert.equal(pieces.reduce((total, piece) => total + piece.length, 0), compactedLength(source))
        assert.ok(pieces.every((piece) => piece.length > 0 && piece.length <= window))
      }),
      {numRuns: 500},
    )
  })

  it('keeps an escape cut by a window edge: the escaped quote does not end the string', () => {
    const source = Buffer.from('{"a":"x\\" y"}')
    for (let window = 1; window <= source.length; window++) {
      assert.equal(Buffer.concat([...compactPieces(source, window)]).toString(), '{"a":"x\\" y"}')
    }
  })

  it('hands out views on the source where nothing was dropped (no copy of a compact document)', () => {
    const compact = Buffer.from('{"compact":[1,2,3],"s":"a b"}')
    const views = [...compactPieces(compact, 8)]
    compact.write('X', 2) // a view sees the change, a copy would not
    assert.equal(Buffer.concat(views).toString(), '{"Xompact":[1,2,3],"s":"a b"}')
    const spaced = Buffer.from('{"a": 1}')
    const copies = [...compactPieces(spaced, 8)]
    spaced.write('b', 2)
    assert.equal(Buffer.concat(copies).toString(), '{"a":1}')
  })
})
