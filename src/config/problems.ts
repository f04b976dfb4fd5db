import {PluginError} from '../errors.js'
import type {KeyPath} from './key-path.js'
import type {Locations} from './locations.js'

interface Problem {
  line?: number
  message: string
}

/**
 * Collects every problem found in one file, so the user fixes them all in one pass instead of
 * one per run. A single problem is thrown as `file:LINE: message`; several as a summary line
 * followed by one indented `file:LINE: message` line each, in file order.
 */
export class Problems {
  private readonly list: Problem[] = []

  constructor(
    private readonly file: string,
    private readonly locations: Locations,
  ) {}

  /** Records a problem at `where` (its line is looked up in the source), or about the whole file. */
  add(where: KeyPath | undefined, message: string): void {
    this.list.push({line: where === undefined ? undefined : this.locations.lineOf(where), message})
  }

  /** Unknown keys are errors: a typo in an optional key would otherwise be silently ignored. */
  checkKeys(table: Record<string, unknown>, path: KeyPath, allowed: readonly string[], where: string): void {
    for (const key of Object.keys(table)) {
      if (!allowed.includes(key)) {
        this.add([...path, key], `unknown key ${JSON.stringify(key)} ${where}; allowed: ${allowed.join(', ')}`)
      }
    }
  }

  /** Throws CONFIG_INVALID naming every problem recorded so far, if there is any. */
  throwIfAny(): void {
    if (this.list.length > 0) throw this.error()
  }

  /** For a problem that stops validation (nothing further can be checked): records it and throws. */
  fatal(where: KeyPath | undefined, message: string): never {
    this.add(where, message)
    throw this.error()
  }

  private error(): PluginError {
    // Stable sort: file-level problems first, then by line; same-line problems keep their order.
    const lines = [...this.list].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)).map((p) => this.format(p))
    const message = lines.length === 1 ? lines[0] : [`${this.file}: ${lines.length} problems:`, ...lines.map((l) => `  ${l}`)].join('\n')
    return new PluginError('CONFIG_INVALID', message)
  }

  private format(problem: Problem): string {
    return problem.line === undefined ? `${this.file}: ${problem.message}` : `${this.file}:${problem.line}: ${problem.message}`
  }
}
