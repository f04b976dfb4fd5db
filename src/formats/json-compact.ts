/**
 * Go's json.Compact over bytes: drops insignificant whitespace and keeps everything else byte for
 * byte (key order, number spelling, escapes), so an SBOM embedded as a predicate is the document
 * itself. Works on UTF-8 bytes directly — multi-byte sequences never contain `"` or `\` — so a
 * large SBOM is never turned into a string. The input must already be valid JSON.
 */
const QUOTE = 0x22
const BACKSLASH = 0x5c
const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/** Length of the compacted form, without allocating it. */
export function compactedLength(source: Buffer): number {
  let length = 0
  scan(source, () => length++)
  return length
}

/** Writes the compacted form into `target` at `offset`; returns the offset after it. */
export function compactInto(source: Buffer, target: Buffer, offset: number): number {
  let at = offset
  scan(source, (byte) => (target[at++] = byte))
  return at
}

export function compactJson(source: Buffer): Buffer {
  const target = Buffer.allocUnsafe(compactedLength(source))
  compactInto(source, target, 0)
  return target
}

/**
 * The compacted form as a sequence of pieces, each from at most `window` source bytes: a piece
 * where nothing was dropped is a view on `source` (no copy), any other a fresh buffer. Their
 * concatenation is `compactJson(source)`; nothing of the size of the whole is allocated.
 */
export function* compactPieces(source: Buffer, window = 1024 * 1024): Generator<Buffer> {
  let inString = false
  let escaped = false
  for (let start = 0; start < source.length; start += window) {
    const end = Math.min(source.length, start + window)
    let target: Buffer | undefined // allocated at the first dropped byte
    let kept = 0
    for (let i = start; i < end; i++) {
      const byte = source[i]!
      let keep = true
      if (escaped) {
        escaped = false
      } else if (inString) {
        if (byte === BACKSLASH) escaped = true
        else if (byte === QUOTE) inString = false
      } else if (byte === QUOTE) {
        inString = true
      } else {
        keep = !isSpace(byte)
      }

      if (keep) {
        if (target) target[kept] = byte
        kept++
      } else if (!target) {
        target = Buffer.allocUnsafe(end - start)
        source.copy(target, 0, start, i)
      }
    }

    if (!target) yield source.subarray(start, end)
    else if (kept > 0) yield target.subarray(0, kept)
  }
}

function scan(source: Buffer, emit: (byte: number) => void): void {
  let inString = false
  for (let i = 0; i < source.length; i++) {
    const byte = source[i]!
    if (inString) {
      emit(byte)
      if (byte === BACKSLASH && i + 1 < source.length) emit(source[++i]!)
      else if (byte === QUOTE) inString = false
    } else if (byte === QUOTE) {
      inString = true
      emit(byte)
    } else if (!isSpace(byte)) {
      emit(byte)
    }
  }
}
