import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {validateJsonObject} from '../../src/sbom/json-validate.js'

/** The validator must agree with JSON.parse (restricted to "is it one JSON object"). */
function oracle(text: Buffer): boolean {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(text))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
  } catch {
    return false
  }
}

const valid = [
  '{}', ' { } ', '{"a":1}', '{"a":[]}', '{"a":[ ]}', '{"a":[1,2,{"b":null}],"c":true,"d":false}', '{"n":-0.5e+10,"m":0,"k":1E3}',
  '{"s":"\\u00fc\\n\\t\\"\\\\\\/"}', '{"ü":"é"}', '{"deep":[[[[{}]]]]}', '\n{"a":{"b":{"c":[1,[2,[3]]]}}}\r\n',
]
const invalid = [
  '', '[]', '"x"', '1', 'null', '{', '}', '{"a"}', '{"a":}', '{"a":1,}', '{,}', '{"a":[1,]}', '{"a":01}', '{"a":1.}', '{"a":.5}',
  '{"a":-}', '{"a":1e}', '{"a":tru}', '{"a":"\\x"}', '{"a":"\\u12g4"}', '{"a":"tab\there"}', '{} {}', '{"a":1}x', '{a:1}',
  "{'a':1}", '{"a":[1 2]}', '{"a":1 "b":2}', '\ufeff{}',
]

describe('validateJsonObject', () => {
  for (const text of [...valid, ...invalid]) {
    it(`agrees with JSON.parse on ${JSON.stringify(text)}`, () => {
      const bytes = Buffer.from(text)
      assert.equal(validateJsonObject(bytes) === undefined, oracle(bytes))
    })
  }

  it('refuses invalid UTF-8', () => {
    assert.match(validateJsonObject(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))!, /UTF-8/)
  })

  it('agrees with JSON.parse on 3000 random mutations of valid documents', () => {
    const alphabet = '{}[],:"\\ 0123456789-+.eEtrufalsn\n'
    let seed = 12345
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    for (let n = 0; n < 3000; n++) {
      const base = valid[Math.floor(random() * valid.length)]!.split('')
      const edits = 1 + Math.floor(random() * 3)
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (base.length + 1))
        const op = random()
        if (op < 0.4) base.splice(at, 1)
        else if (op < 0.8) base.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!)
        else base[at] = alphabet[Math.floor(random() * alphabet.length)]!
      }

      const bytes = Buffer.from(base.join(''))
      assert.equal(validateJsonObject(bytes) === undefined, oracle(bytes), `disagree on ${JSON.stringify(base.join(''))}`)
    }
  })
})
