import {isUtf8} from 'node:buffer'

/**
 * Checks that bytes are one JSON object (RFC 8259) in valid UTF-8 without building it: a large
 * SBOM parsed with JSON.parse costs several times its size in memory, only to be thrown away.
 * Returns undefined when valid, else a short reason.
 */
const enum Expect {
  Value,
  KeyOrEnd, // after `{`
  Key, // after `,` in an object
  Colon,
  CommaOrEnd, // after a value inside a container
  Done,
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d])
export const NOT_AN_OBJECT = 'the document is not a JSON object'

export function validateJsonObject(bytes: Buffer): string | undefined {
  const utf8Problem = validateUtf8(bytes)
  if (utf8Problem) return utf8Problem
  const stack: number[] = [] // 0x7b `{` or 0x5b `[`
  let expect = Expect.Value
  let i = 0
  const fail = (what: string) => `${what} at byte ${i}`
  while (i < bytes.length) {
    const byte = bytes[i]!
    if (WHITESPACE.has(byte)) {
      i++
      continue
    }

    if (expect === Expect.Done) return fail('unexpected data after the end of the document')
    if (expect === Expect.Colon) {
      if (byte !== 0x3a) return fail('expected ":"')
      expect = Expect.Value
      i++
      continue
    }

    if (expect === Expect.CommaOrEnd) {
      const top = stack.at(-1)
      if (byte === 0x2c) {
        expect = top === 0x7b ? Expect.Key : Expect.Value
      } else if ((byte === 0x7d && top === 0x7b) || (byte === 0x5d && top === 0x5b)) {
        stack.pop()
        expect = stack.length === 0 ? Expect.Done : Expect.CommaOrEnd
      } else {
        return fail('expected "," or the end of the container')
      }

      i++
      continue
    }

    if (expect === Expect.KeyOrEnd || expect === Expect.Key) {
      if (byte === 0x7d && expect === Expect.KeyOrEnd) {
        stack.pop()
        expect = stack.length === 0 ? Expect.Done : Expect.CommaOrEnd
        i++
        continue
      }

      if (byte !== 0x22) return fail('expected a string key')
      const end = scanString(bytes, i)
      if (end < 0) return fail('invalid string')
      i = end
      expect = Expect.Colon
      continue
    }

    // Expect.Value
    if (stack.length === 0 && byte !== 0x7b) return fail(NOT_AN_OBJECT)
    if (byte === 0x7b || byte === 0x5b) {
      if (stack.length >= 10_000) return fail('nesting deeper than 10000')
      stack.push(byte)
      i++
      if (byte === 0x7b) {
        expect = Expect.KeyOrEnd
        continue
      }

      // `[` may be followed directly by `]`.
      while (i < bytes.length && WHITESPACE.has(bytes[i]!)) i++
      if (bytes[i] === 0x5d) {
        stack.pop()
        i++
        expect = stack.length === 0 ? Expect.Done : Expect.CommaOrEnd
      } else {
        expect = Expect.Value
      }

      continue
    }

    const end = byte === 0x22 ? scanString(bytes, i) : byte === 0x74 ? literal(bytes, i, 'true') : byte === 0x66 ? literal(bytes, i, 'false') : byte === 0x6e ? literal(bytes, i, 'null') : scanNumber(bytes, i)
    if (end < 0) return fail('invalid value')
    i = end
    expect = Expect.CommaOrEnd
  }

  return expect === Expect.Done ? undefined : fail('unexpected end of the document')
}

/** Index after the closing quote, or -1. */
function scanString(bytes: Buffer, start: number): number {
  let i = start + 1
  while (i < bytes.length) {
    const byte = bytes[i]!
    if (byte === 0x22) return i + 1
    if (byte < 0x20) return -1
    if (byte === 0x5c) {
      const next = bytes[i + 1]
      if (next === 0x75) {
        for (let k = 2; k < 6; k++) if (!isHex(bytes[i + k])) return -1
        i += 6
        continue
      }

      if (next === undefined || !'"\\/bfnrt'.includes(String.fromCharCode(next))) return -1
      i += 2
      continue
    }

    i++
  }

  return -1
}

function scanNumber(bytes: Buffer, start: number): number {
  let i = start
  if (bytes[i] === 0x2d) i++
  if (bytes[i] === 0x30) i++
  else if (isDigit19(bytes[i])) while (isDigit(bytes[i])) i++
  else return -1
  if (bytes[i] === 0x2e) {
    i++
    if (!isDigit(bytes[i])) return -1
    while (isDigit(bytes[i])) i++
  }

  if (bytes[i] === 0x65 || bytes[i] === 0x45) {
    i++
    if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++
    if (!isDigit(bytes[i])) return -1
    while (isDigit(bytes[i])) i++
  }

  return i
}

function literal(bytes: Buffer, start: number, word: string): number {
  for (let k = 0; k < word.length; k++) if (bytes[start + k] !== word.charCodeAt(k)) return -1
  return start + word.length
}

const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39
const isDigit19 = (b: number | undefined) => b !== undefined && b >= 0x31 && b <= 0x39
const isHex = (b: number | undefined) => b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))

/**
 * Valid UTF-8 and no byte-order mark (Go's encoding/json, and so cosign, rejects both). Checked
 * in place (no decoded copy), as strictly as a fatal TextDecoder: no overlong forms, surrogates
 * or code points past U+10FFFF.
 */
function validateUtf8(bytes: Buffer): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'a byte-order mark before the document'
  return isUtf8(bytes) ? undefined : 'invalid UTF-8'
}
