import {type KeyPath, pathId} from './key-path.js'

/**
 * Line numbers of the tables and keys of a TOML source. @iarna/toml returns values without
 * positions, so messages would otherwise say only "configs[1]"; this scanner re-reads the
 * (already successfully parsed, hence valid) text and records where each header and key starts.
 *
 * It understands what can hide a `[[configs]]` or `key =` from a naive line match: comments,
 * basic/literal strings (single and multi-line) and multi-line arrays. Keys inside inline tables
 * are not recorded; lookups fall back to the nearest recorded parent (the `configs = [...]` line).
 */
export class Locations {
  private constructor(private readonly lines: ReadonlyMap<string, number>) {}

  static scan(text: string): Locations {
    return new Locations(new Scanner(text).run())
  }

  /** 1-based line of `path`, else of its nearest recorded parent; undefined if none is recorded. */
  lineOf(path: KeyPath): number | undefined {
    for (let n = path.length; n > 0; n--) {
      const line = this.lines.get(pathId(path.slice(0, n)))
      if (line !== undefined) return line
    }

    return undefined
  }
}

const BARE_KEY_CHAR = /[A-Za-z0-9_-]/

class Scanner {
  private i = 0
  private line = 1
  private table: (string | number)[] = []
  /** how many `[[x]]` headers each array-of-tables path has had, to number its elements */
  private readonly arrayCounts = new Map<string, number>()
  private readonly found = new Map<string, number>()

  constructor(private readonly s: string) {}

  run(): Map<string, number> {
    while (this.i < this.s.length) {
      const c = this.s[this.i]
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.advance()
      else if (c === '#') this.skipComment()
      else if (c === '[') this.header()
      else this.keyValue()
    }

    return this.found
  }

  /** `[a.b]` or `[[a.b]]`: becomes the current table. */
  private header(): void {
    const line = this.line
    const isArray = this.s[this.i + 1] === '['
    this.i += isArray ? 2 : 1
    const keys = this.key()
    this.i += isArray ? 2 : 1 // the closing bracket(s); the text is valid TOML
    this.table = this.resolve(keys, isArray)
    this.record(this.table, line)
  }

  /** `a.b = value`, relative to the current table. */
  private keyValue(): void {
    const line = this.line
    const keys = this.key()
    this.i++ // '='
    this.record([...this.table, ...keys], line)
    this.skipValue()
  }

  /** Header keys with array-of-tables parents indexed: [[configs]] twice → ['configs', 1]. */
  private resolve(keys: string[], isArray: boolean): (string | number)[] {
    const out: (string | number)[] = []
    keys.forEach((key, n) => {
      out.push(key)
      const id = pathId(out)
      const count = this.arrayCounts.get(id)
      if (isArray && n === keys.length - 1) {
        this.arrayCounts.set(id, (count ?? 0) + 1)
        out.push(count ?? 0)
      } else if (count !== undefined) {
        out.push(count - 1)
      }
    })
    return out
  }

  /** Records a path and its parents, keeping the first line each was seen on. */
  private record(path: KeyPath, line: number): void {
    for (let n = 1; n <= path.length; n++) {
      const id = pathId(path.slice(0, n))
      if (!this.found.has(id)) this.found.set(id, line)
    }
  }

  /** A dotted key: bare, "basic" or 'literal' parts. Stops before '=' or ']'. */
  private key(): string[] {
    const parts: string[] = []
    for (;;) {
      this.skipBlanks()
      const c = this.s[this.i]
      if (c === '"' || c === "'") {
        const start = this.i
        this.skipString()
        parts.push(unquote(this.s.slice(start, this.i)))
      } else {
        const start = this.i
        while (this.i < this.s.length && BARE_KEY_CHAR.test(this.s[this.i])) this.i++
        parts.push(this.s.slice(start, this.i))
      }

      this.skipBlanks()
      if (this.s[this.i] !== '.') return parts
      this.i++
    }
  }

  /** Skips a value (possibly a multi-line array or string) and the rest of its line. */
  private skipValue(): void {
    let depth = 0
    while (this.i < this.s.length) {
      const c = this.s[this.i]
      if (c === '"' || c === "'") {
        this.skipString()
      } else if (c === '#') {
        this.skipComment()
      } else {
        if (c === '[' || c === '{') depth++
        else if (c === ']' || c === '}') depth--
        this.advance()
        if (c === '\n' && depth === 0) return
      }
    }
  }

  /** Skips one string of any of the four kinds, counting the lines it spans. */
  private skipString(): void {
    const quote = this.s[this.i]
    const escapes = quote === '"'
    const triple = quote.repeat(3)
    if (this.s.startsWith(triple, this.i)) {
      this.i += 3
      while (this.i < this.s.length && !this.s.startsWith(triple, this.i)) {
        if (escapes && this.s[this.i] === '\\') this.advance()
        this.advance()
      }

      this.i += 3
      while (this.s[this.i] === quote) this.i++ // up to two quotes may precede the closing three
      return
    }

    this.i++
    while (this.i < this.s.length && this.s[this.i] !== quote) {
      if (escapes && this.s[this.i] === '\\') this.i++
      this.i++
    }

    this.i++
  }

  private skipComment(): void {
    while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++
  }

  private skipBlanks(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++
  }

  private advance(): void {
    if (this.s[this.i] === '\n') this.line++
    this.i++
  }
}

/** The key a quoted key stands for; TOML basic-string escapes are JSON's plus \U and \e. */
function unquote(raw: string): string {
  if (raw.startsWith("'")) return raw.slice(1, -1)
  try {
    return JSON.parse(raw) as string
  } catch {
    return raw.slice(1, -1)
  }
}
