import {open} from 'node:fs/promises'

/**
 * Caps on what a user hands us, documented in docs/config.md ("Input limits"). Each sits far above any
 * real input, so only a wrong file or a runaway script meets one — and then it gets a clear error
 * instead of hundreds of MB of memory or a payload no verifier reads.
 */
const KiB = 1024
const MiB = 1024 * KiB

/** cosign.toml and report.toml: a real one is well under 10 KiB. */
export const MAX_CONFIG_FILE_BYTES = 1 * MiB

/** A key password (file, COSIGN_PASSWORD, prompt): a line of text; generated ones are ~100 bytes. */
export const MAX_PASSWORD_BYTES = 1 * KiB

/** One annotation key or value (UTF-8): labels, commit SHAs, URLs. */
export const MAX_ANNOTATION_BYTES = 64 * KiB

/**
 * All annotations together, as JSON in the signed payload (escapes included): our `verify` reads
 * payloads up to 1 MiB, and cosign's verifiers hold the payload in memory too.
 */
export const MAX_ANNOTATIONS_TOTAL_BYTES = 512 * KiB

/** "64 KiB", "1 MiB", "300 bytes"; rounded up, so a size over a limit never reads as the limit. */
export function formatSize(bytes: number): string {
  const up = (units: number) => Math.ceil((bytes / units) * 10) / 10
  if (bytes >= MiB) return `${up(MiB)} MiB`
  if (bytes >= KiB) return `${up(KiB)} KiB`
  return `${bytes} bytes`
}

/**
 * A file's bytes, or undefined when it holds more than maxBytes. Never reads past the limit, so a
 * 600 MiB file (or /dev/zero) costs no memory. Errors from opening or reading (ENOENT, EISDIR)
 * pass through unchanged.
 */
export async function readFileAtMost(path: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(path, 'r')
  try {
    const stat = await handle.stat()
    if (stat.isFile() && stat.size > maxBytes) return undefined
    const chunks: Buffer[] = []
    let total = 0
    for (;;) {
      const room = maxBytes + 1 - total
      const buffer = Buffer.alloc(Math.min(room, stat.isFile() && total === 0 ? stat.size + 1 : 64 * KiB))
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) return Buffer.concat(chunks, total)
      chunks.push(buffer.subarray(0, bytesRead))
      total += bytesRead
      if (total > maxBytes) return undefined
    }
  } finally {
    await handle.close()
  }
}

/**
 * What is wrong with a set of annotations' sizes, if anything: one message per name or value over
 * MAX_ANNOTATION_BYTES (named by `label(name)`), or one for the whole set over
 * MAX_ANNOTATIONS_TOTAL_BYTES. Names are shortened in messages: they may be huge too.
 */
export function annotationSizeProblems(pairs: readonly (readonly [string, string])[]): {index?: number; part?: 'name' | 'value'; message: string}[] {
  const problems: {index?: number; part?: 'name' | 'value'; message: string}[] = []
  for (const [index, [name, value]] of pairs.entries()) {
    for (const [part, text] of [['name', name], ['value', value]] as const) {
      const bytes = Buffer.byteLength(text, 'utf8')
      if (bytes > MAX_ANNOTATION_BYTES) {
        problems.push({index, part, message: `the ${part} of annotation ${shorten(name)} is ${formatSize(bytes)}; the limit is ${formatSize(MAX_ANNOTATION_BYTES)} per name or value`})
      }
    }
  }

  if (problems.length > 0) return problems
  const total = Buffer.byteLength(JSON.stringify(Object.fromEntries(pairs)), 'utf8')
  if (total > MAX_ANNOTATIONS_TOTAL_BYTES) {
    problems.push({message: `the annotations take ${formatSize(total)} in the signed payload; the limit is ${formatSize(MAX_ANNOTATIONS_TOTAL_BYTES)} for all of them together`})
  }

  return problems
}

/** A user-given string for a message: quoted, at most ~40 characters, control characters escaped. */
export function shorten(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text
  return `${JSON.stringify(cut)}${text.length > max ? ` (${formatSize(Buffer.byteLength(text, 'utf8'))})` : ''}`
}
