import {Parser} from 'tar/parse'
import type {ReadEntry} from 'tar/read-entry'

import {PluginError} from '../errors.js'

/**
 * A push-style tar reader on npm's `tar` Parser: feed it the uncompressed stream chunk by chunk and
 * it calls back per entry. The Parser decodes ustar (with its prefix), GNU long names and pax
 * headers; only entries the visitor asks for are buffered (copied as they pass into one buffer of
 * the entry's size), everything else is skipped as it streams past, so memory stays bounded
 * whatever the layer holds.
 *
 * The Parser is built for extracting: it warns and carries on where a layer we sign must be
 * refused, and it reads some crafted headers differently from Go's archive/tar (the lifecycle's
 * writer, and what container runtimes read). This wrapper turns every warning into SBOM_INVALID,
 * refuses the headers the two would read differently (listed at `checkEntry` and `onMeta`), and
 * keeps the rules of the hand-written reader it replaced: one zero block ends the archive, link and
 * device entries carry no data whatever their size field says, long names and pax headers are
 * capped, metadata with no entry after it and a stream without an end-of-archive block are errors.
 *
 * Known gap (the hand-written reader refused it; no hook of the Parser shows it): a pax or GNU
 * long-name header whose size field starts with a NUL byte. Go skips leading NULs in numbers, the
 * Parser reads the field as 0 and then takes the body's first block for the next header.
 */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'

export interface TarEntry {
  path: string
  type: TarEntryType
  /** The typeflag character ('0', '5', 'S', ...; '?' for one tar does not know), for messages. */
  typeflag: string
  size: number
}

export interface TarVisitor {
  /**
   * Called for every real entry; return true to receive its contents through `content`. The
   * reader then allocates `entry.size` bytes at once: check the size before saying yes. The
   * contents of 'other' entries are never delivered.
   */
  entry(entry: TarEntry): boolean
  content(entry: TarEntry, data: Buffer): void
}

export interface TarReaderOptions {
  /** Cap on a long-name or pax header body, which are buffered; real ones are a few hundred bytes. */
  maxMetadataBytes?: number
}

const BLOCK = 512
const DEFAULT_MAX_METADATA = 1024 * 1024

// Types that carry no data blocks whatever their size field says (Go's isHeaderOnlyType). The
// Parser already does so for directories ('5'), not for these.
const HEADER_ONLY = new Set(['1', '2', '3', '4', '6'])
// The types whose header the Parser fills from pending pax / long-name metadata.
const NORMAL_FS = new Set(['0', '1', '2', '3', '4', '5', '6', '7', 'D'])

/** A pax or long-name header read since the last entry: whether it looked like pax, and set a path. */
interface Meta {
  pax: boolean
  path: boolean
}

export class TarReader {
  private readonly parser: Parser
  private readonly maxMetadata: number
  private state: 'reading' | 'ended' | 'failed' = 'reading'
  private failure: unknown
  /** Bytes handed to the parser, for messages about the end of the stream. */
  private fed = 0
  private head = Buffer.alloc(0)
  /** The last entry's path, to say where a broken header is. */
  private lastPath: string | undefined
  private metas: Meta[] = []
  private lastGlobal: unknown
  private readonly visited = new WeakSet<ReadEntry>()
  private finishing = false
  private truncatedInEntry = false

  constructor(
    private readonly visitor: TarVisitor,
    options: TarReaderOptions = {},
  ) {
    this.maxMetadata = options.maxMetadataBytes ?? DEFAULT_MAX_METADATA
    this.parser = new Parser({
      // The stream is already decompressed, with the size limits applied on the way
      // (layer-stream.ts): tar must not inflate anything itself. It still sniffs gzip, see write().
      brotli: false,
      zstd: false,
      maxMetaEntrySize: this.maxMetadata,
      // Called while the header is parsed, before any of the body: where sizes are checked.
      filter: (_path, entry) => this.onEntry(entry as ReadEntry),
      onwarn: (_code, message, data) => this.onWarn(message, data),
    })
    // Our own aborts (a failure, the end of the archive) come back here; anything else fails.
    this.parser.on('error', (error: unknown) => this.fail(invalid(`the tar reader failed (${String(error)})`)))
    this.parser.on('ignoredEntry', (entry: ReadEntry) => this.onIgnored(entry))
    this.parser.on('meta', (text: string) => this.onMeta(text))
    this.parser.on('nullBlock', () => this.onZeroBlock())
  }

  /** True once the end-of-archive block was read; later bytes are ignored. */
  get ended(): boolean {
    return this.state === 'ended'
  }

  write(chunk: Buffer): void {
    if (this.state === 'ended') return
    if (this.state === 'failed') throw this.failure
    if (this.head.length < 2) {
      // The Parser gunzips a stream that starts with gzip's magic bytes, past our size limits.
      this.head = Buffer.concat([this.head, chunk.subarray(0, 2 - this.head.length)])
      if (this.head.length === 2 && this.head[0] === 0x1f && this.head[1] === 0x8b) {
        this.fail(invalid('it starts with a gzip header, not a tar header (compressed twice?)'))
        throw this.failure
      }
    }

    this.fed += chunk.length
    this.parser.write(chunk)
    // (Read through a method: the callbacks above change the state during write.)
    if (this.hasFailed()) throw this.failure
  }

  /** Call at the end of the stream: a tar that stops before its end-of-archive block is truncated. */
  end(): void {
    if (this.state === 'ended') return
    if (this.state === 'failed') throw this.failure
    // Pending metadata or part of a block: cut inside an entry. The Parser tells about bodies.
    let inEntry = this.fed % BLOCK !== 0 || this.metas.length > 0
    this.finishing = true
    try {
      this.parser.end()
    } catch {
      // It throws when a cut body is followed by part of a block; that is a truncation too.
      inEntry = true
    }

    if (inEntry || this.truncatedInEntry) throw this.fail(invalid(`it is truncated at byte ${this.fed}, inside an entry`))
    throw this.fail(invalid(`it ends at byte ${this.fed} without an end-of-archive block (truncated?)`))
  }

  private hasFailed(): boolean {
    return this.state === 'failed'
  }

  /** The first failure wins; the parser stops at once. Returns it, for `throw`. */
  private fail(error: unknown): unknown {
    if (this.state !== 'reading') return this.failure
    this.state = 'failed'
    this.failure = error
    this.parser.abort(new Error('stopped'))
    return error
  }

  private where(): string {
    return this.lastPath === undefined ? 'before the first entry' : `after the entry ${JSON.stringify(this.lastPath)}`
  }

  private onWarn(message: string, data: Record<string, unknown>): void {
    if (this.finishing) {
      // At end(): "Truncated input (needed N more bytes, only M available)" names the entry that
      // was cut. The Parser holds back the last bytes of a body when fewer than a block follow
      // them, so an entry with all its bytes can be "truncated" too: that one was not cut.
      const counts = /needed (\d+) more bytes, only (\d+) available/.exec(message)
      if (data.entry !== undefined && !(counts && Number(counts[1]) <= Number(counts[2]))) this.truncatedInEntry = true
      return
    }

    if (this.state !== 'reading') return
    // Any warning leaves the Parser out of step with the stream (it skips the header block but not
    // the body), so each one fails the read.
    const known: Record<string, string> = {
      'checksum failure': 'has a bad checksum (not a tar stream, or corrupt)',
      'path is required': 'has an empty name',
      'linkpath required': 'is a link without a target',
      'linkpath forbidden': 'has a link target but is not a link',
    }
    this.fail(invalid(`the tar header ${this.where()} ${known[message] ?? `is invalid (${message})`}`))
  }

  /** The filter: every entry of a type the Parser reads, at its header. */
  private onEntry(entry: ReadEntry): boolean {
    if (this.state !== 'reading') return false
    this.visited.add(entry)
    try {
      return this.visit(entry, true)
    } catch (error) {
      this.fail(error)
      return false
    }
  }

  /** Entries the Parser skips on its own: unknown types, and metadata over the cap. */
  private onIgnored(entry: ReadEntry): void {
    if (this.state !== 'reading' || this.visited.has(entry)) return
    if (entry.meta) {
      const kind = /LongLinkpath/.test(entry.type) ? 'GNU long-link' : /LongPath/.test(entry.type) ? 'GNU long-name' : 'pax'
      this.fail(invalid(`a ${kind} header ${this.where()} is ${entry.size} bytes, over the ${this.maxMetadata}-byte cap`))
      return
    }

    try {
      this.visit(entry, false)
    } catch (error) {
      this.fail(error)
    }
  }

  private visit(entry: ReadEntry, readable: boolean): boolean {
    const typeflag = entry.header.typeKey === 'Unsupported' ? '?' : entry.header.typeKey
    // For the types it does not fill from metadata the Parser keeps the header's name; Go does not.
    const path = NORMAL_FS.has(typeflag) ? entry.header.path ?? '' : (entry.extended?.path ?? entry.header.path ?? '')
    this.checkEntry(entry, typeflag, path)
    this.metas = []
    this.lastGlobal = entry.globalExtended
    this.lastPath = path

    if (HEADER_ONLY.has(typeflag)) {
      // Read before the Parser looks at them: it then reads no data blocks for this entry.
      entry.remain = 0
      entry.blockRemain = 0
    }

    const type = entryType(typeflag)
    const tarEntry: TarEntry = {path, type, typeflag, size: entry.remain}
    const wanted = this.visitor.entry(tarEntry)
    if (!wanted || !readable || type === 'other') return false

    const content = Buffer.allocUnsafe(tarEntry.size)
    let filled = 0
    entry.on('data', (data: Buffer) => {
      // Copied: the chunk may be a view on a much larger buffer we must not keep alive.
      filled += data.copy(content, filled)
    })
    entry.on('end', () => {
      if (this.state === 'failed' || filled !== content.length) return
      try {
        this.visitor.content(tarEntry, content)
      } catch (error) {
        this.fail(error)
      }
    })
    return true
  }

  /**
   * Refuses what the Parser reads differently from Go's archive/tar (both would accept the
   * archive, and see different entries):
   * - a size field it cannot read (Go reads `\0\0017` as 017; the Parser as 0);
   * - a pax size that the Parser does not apply (types it does not fill from metadata);
   * - a size set by a global pax header (Go ignores those; the Parser applies them);
   * - two local pax headers for one entry (Go keeps the last; the Parser merges them);
   * - a GNU long name after a pax path (Go keeps the pax path; the Parser the long name);
   * - a newline in the name: the Parser cuts a name at its first NUL only up to a newline.
   */
  private checkEntry(entry: ReadEntry, typeflag: string, path: string): void {
    const header = entry.header
    const headerOnly = HEADER_ONLY.has(typeflag) || typeflag === '5'
    if (header.size === undefined && !headerOnly) {
      throw invalid(`the tar header of ${JSON.stringify(path)} has an invalid size field`)
    }

    const paxSize = entry.extended?.size
    if (paxSize !== undefined && !headerOnly && paxSize !== header.size) {
      throw invalid(`the pax header of ${JSON.stringify(path)} sets a size that tar readers disagree on`)
    }

    if (entry.globalExtended?.size !== undefined) {
      throw invalid(`a global pax header before ${JSON.stringify(path)} sets "size", which tar readers disagree on`)
    }

    const newGlobal = entry.globalExtended !== this.lastGlobal ? 1 : 0
    if (this.metas.filter((meta) => meta.pax).length - newGlobal > 1) {
      throw invalid(`the entry ${JSON.stringify(path)} has more than one pax header`)
    }

    const paxPath = this.metas.findIndex((meta) => meta.pax && meta.path)
    if (paxPath !== -1 && this.metas.slice(paxPath + 1).some((meta) => !meta.pax)) {
      throw invalid(`the entry ${JSON.stringify(path)} has a GNU long name after a pax path`)
    }

    if (path.includes('\n')) throw invalid(`the name of the entry ${JSON.stringify(path)} contains a newline`)
  }

  /**
   * A pax or long-name header's body, read whole. The Parser gives no type with it; a body that
   * starts like a pax record (`<digits> `) is held to the pax format strictly, as Go does (the
   * Parser skips a malformed record, and splits records at newlines inside values).
   */
  private onMeta(text: string): void {
    if (this.state !== 'reading') return
    if (text.includes('\uFFFD')) {
      // Invalid UTF-8, or a body over one block that the Parser decoded piece by piece and so
      // split a character: either way the name it gives is not the name in the archive.
      this.fail(invalid(`a long-name or pax header ${this.where()} is not valid UTF-8`))
      return
    }

    const pax = /^\d+ /.test(text)
    let path = false
    if (pax) {
      const problem = paxProblem(Buffer.from(text, 'utf8'))
      if (typeof problem === 'string') {
        this.fail(invalid(`the pax header ${this.where()} ${problem}`))
        return
      }

      path = problem.path
    }

    this.metas.push({pax, path})
  }

  private onZeroBlock(): void {
    if (this.state !== 'reading') return
    // End of archive. (Strictly two zero blocks; one is enough to know nothing follows, and
    // whatever does follow is still covered by the diffID check.)
    if (this.metas.length > 0) {
      this.fail(invalid('a long-name or pax header at the end of the tar has no entry to apply to'))
      return
    }

    this.state = 'ended'
    this.parser.abort(new Error('end of archive'))
  }
}

/**
 * Records are `<length> <key>=<value>\n`, the length counting the whole record, written without
 * leading zeros. Returns what is wrong, or whether a `path` was set.
 */
function paxProblem(data: Buffer): string | {path: boolean} {
  let path = false
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    const digits = space > at ? data.toString('latin1', at, space) : ''
    const length = Number(digits)
    if (!/^[1-9]\d*$/.test(digits) || !Number.isSafeInteger(length) || at + length > data.length || data[at + length - 1] !== 0x0a) {
      return 'is malformed'
    }

    const record = data.toString('utf8', space + 1, at + length - 1)
    at += length
    const eq = record.indexOf('=')
    if (eq <= 0) return 'has a record without "key="'
    const key = record.slice(0, eq)
    // The Parser splits the body at every newline (a record after one inside a key or value is
    // applied), and cuts values at a NUL; Go does neither.
    if (/[\n\0]/.test(record)) return `has a newline or NUL inside its "${key.replace(/[^\x20-\x7e]/g, '?')}" record`
    const value = record.slice(eq + 1)
    if (key === 'path') path = true
    if (key === 'size' && (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))) {
      return `has an invalid size "${value}"`
    }
  }

  return {path}
}

function entryType(typeflag: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '7': // contiguous file: a regular file to everyone but a few old systems
      return 'file'
    case '1':
      return 'hardlink'
    case '2':
      return 'symlink'
    case '5':
      return 'directory'
    default:
      return 'other'
  }
}

function invalid(message: string): PluginError {
  return new PluginError('SBOM_INVALID', `the SBOM layer is not a valid tar archive: ${message}`)
}
