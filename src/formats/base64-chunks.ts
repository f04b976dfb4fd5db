// Base64 (standard alphabet, padded) of bytes fed in pieces of any size, handed out in chunks of
// 1 MiB (the last one shorter). Encoded straight into buffers, with no string on the way: large
// strings live outside V8's heap and linger until a full GC, which is what a 50 MiB SBOM's
// envelope must not wait for.

export const BASE64_CHUNK_BYTES = 1024 * 1024 // a multiple of 4: whole groups

export class Base64Chunks {
  private chunk = newChunk()
  private written = 0
  /** Up to two bytes waiting for the rest of their 3-byte group. */
  private readonly carry = Buffer.alloc(3)
  private carried = 0

  /**
   * `emit` receives each chunk once it is full (and the last one at `end`). With `reuse`, the
   * next chunk is written into the same buffer: for a consumer done with it when `emit` returns.
   */
  constructor(
    private readonly emit: (encoded: Buffer) => void,
    private readonly reuse = false,
  ) {}

  /** The caller may reuse `piece` once this returns. */
  update(piece: Buffer): void {
    let at = 0
    if (this.carried > 0) {
      while (this.carried < 3 && at < piece.length) this.carry[this.carried++] = piece[at++]!
      if (this.carried < 3) return
      this.encode(this.carry, 0, 3)
      this.carried = 0
    }

    const groupsEnd = piece.length - ((piece.length - at) % 3)
    this.encode(piece, at, groupsEnd)
    for (let i = groupsEnd; i < piece.length; i++) this.carry[this.carried++] = piece[i]!
  }

  /** Pads the last group and emits what is left; call once, after the last piece. */
  end(): void {
    if (this.carried > 0) {
      this.room()
      const a = this.carry[0]!
      const b = this.carried === 2 ? this.carry[1]! : 0
      const out = this.chunk.bytes
      out[this.written] = ALPHABET[a >> 2]!
      out[this.written + 1] = ALPHABET[((a & 3) << 4) | (b >> 4)]!
      out[this.written + 2] = this.carried === 2 ? ALPHABET[(b & 15) << 2]! : PAD
      out[this.written + 3] = PAD
      this.written += 4
      this.carried = 0
    }

    if (this.written > 0) this.emit(this.chunk.bytes.subarray(0, this.written))
    this.written = 0
  }

  /** Encodes whole 3-byte groups, `source[start, end)`. */
  private encode(source: Buffer, start: number, end: number): void {
    while (start < end) {
      this.room()
      const take = Math.min(end - start, ((BASE64_CHUNK_BYTES - this.written) / 4) * 3)
      encodeGroups(source, start, start + take, this.chunk.pairs, this.written / 2)
      this.written += (take / 3) * 4
      start += take
    }
  }

  /** A chunk with room for at least one group. */
  private room(): void {
    if (this.written < BASE64_CHUNK_BYTES) return
    this.emit(this.chunk.bytes)
    if (!this.reuse) this.chunk = newChunk()
    this.written = 0
  }
}

/** Whether `encoded` is exactly the base64 of what `pieces` yield, encoded a chunk at a time. */
export function isBase64Of(encoded: Buffer, pieces: Iterable<Buffer>): boolean {
  let at = 0
  let same = true
  const base64 = new Base64Chunks((chunk) => {
    same &&= chunk.equals(encoded.subarray(at, at + chunk.length))
    at += chunk.length
  }, true)
  for (const piece of pieces) {
    base64.update(piece)
    if (!same) return false
  }

  base64.end()
  return same && at === encoded.length
}

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
const PAD = 0x3d // '='
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
/** The two characters of each 12-bit value, as one 16-bit store in this machine's byte order. */
const PAIRS = Uint16Array.from({length: 4096}, (_, v) => {
  const first = ALPHABET[v >> 6]!
  const second = ALPHABET[v & 63]!
  return LITTLE_ENDIAN ? first | (second << 8) : (first << 8) | second
})

function newChunk(): {bytes: Buffer; pairs: Uint16Array} {
  const pairs = new Uint16Array(BASE64_CHUNK_BYTES / 2)
  return {bytes: Buffer.from(pairs.buffer), pairs}
}

/** Base64 of `source[start, end)`, a whole number of groups, from pair index `at` on. */
function encodeGroups(source: Buffer, start: number, end: number, target: Uint16Array, at: number): void {
  let j = at
  for (let i = start; i < end; i += 3) {
    const group = (source[i]! << 16) | (source[i + 1]! << 8) | source[i + 2]!
    target[j++] = PAIRS[group >> 12]!
    target[j++] = PAIRS[group & 4095]!
  }
}
