import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {Locations} from '../../src/config/locations.js'

describe('Locations', () => {
  it('numbers [[array]] elements and finds keys under them', () => {
    const at = Locations.scan('[[configs]]\nkey = "a"\n\n[[ configs ]]  # second\n  key = "b"\n')
    assert.equal(at.lineOf(['configs']), 1)
    assert.equal(at.lineOf(['configs', 0, 'key']), 2)
    assert.equal(at.lineOf(['configs', 1]), 4)
    assert.equal(at.lineOf(['configs', 1, 'key']), 5)
  })

  it('is not fooled by headers and keys inside strings, comments and multi-line arrays', () => {
    const text = [
      'a = """', // 1
      '[[configs]]', // 2
      'key = "x"', // 3
      '"""', // 4
      "b = '''", // 5
      "[[configs]]'''", // 6
      '# [[configs]]', // 7
      'c = [', // 8
      '  "[[configs]]",', // 9
      '  # key = 1', // 10
      ']', // 11
      'd = "\\"[[configs]]"', // 12
      '[[configs]]', // 13
      "'quoted key' = 1", // 14
      'dotted.key = 2', // 15
    ].join('\n')
    const at = Locations.scan(text)
    assert.equal(at.lineOf(['a']), 1)
    assert.equal(at.lineOf(['b']), 5)
    assert.equal(at.lineOf(['c']), 8)
    assert.equal(at.lineOf(['d']), 12)
    assert.equal(at.lineOf(['configs', 0]), 13)
    assert.equal(at.lineOf(['configs', 1]), 13, 'no second element: falls back to the array')
    assert.equal(at.lineOf(['configs', 0, 'quoted key']), 14)
    assert.equal(at.lineOf(['configs', 0, 'dotted']), 15)
    assert.equal(at.lineOf(['configs', 0, 'dotted', 'key']), 15)
  })

  it('falls back to the nearest recorded parent, or nothing', () => {
    const at = Locations.scan('x = 1\n[image]\n  tags = ["a"]\n')
    assert.equal(at.lineOf(['image', 'tags', 3]), 3)
    assert.equal(at.lineOf(['image', 'digest']), 2)
    assert.equal(at.lineOf(['nowhere']), undefined)
  })

  it('resolves sub-tables of the latest array element', () => {
    const at = Locations.scan('[[a]]\n[[a]]\n[a.b]\nc = 1\n[[a.d]]\n')
    assert.equal(at.lineOf(['a', 1, 'b']), 3)
    assert.equal(at.lineOf(['a', 1, 'b', 'c']), 4)
    assert.equal(at.lineOf(['a', 1, 'd', 0]), 5)
  })
})
