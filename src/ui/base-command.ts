import {Command, Errors} from '@oclif/core'

import {isPluginError, messageOf} from '../errors.js'

/**
 * Base of every command: turns any failure into exactly one line on stderr (no stack trace, no
 * wrapping) with the exit code of its class; with --json, oclif's error document on stdout.
 * Parse errors from oclif keep oclif's own wording and exit code 2.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    const known = isPluginError(error)
    if (!known && (error instanceof Errors.CLIError || error.oclif?.exit !== undefined)) {
      const exit = error.oclif?.exit ?? 2
      // With --json, the same one line in the error document (oclif's own would dump its parser's state).
      if (this.jsonEnabled()) return super.catch(Object.assign(new Errors.CLIError(oneLine(error.message), {exit, code: 'USAGE'}), {exitCode: exit}))
      this.logToStderr(`Error: ${oneLine(error.message)}`)
      return this.exit(exit)
    }

    const message = known ? error.message : `unexpected error: ${messageOf(error)}`
    const exit = known ? error.exitCode : 1
    const code = known ? error.code : 'INTERNAL'
    if (this.jsonEnabled()) {
      const details = known && error.details !== undefined ? {details: error.details} : {}
      return super.catch(Object.assign(new Errors.CLIError(message, {exit, code}), {exitCode: exit}, details))
    }

    this.logToStderr(`Error: ${message.replaceAll('\n', ' ')}`)
    if (!known && process.env.DEBUG) this.logToStderr(String(error.stack))
    return this.exit(exit)
  }
}

/** oclif's parse errors span lines ("The following error occurred: … See more help"): keep the facts. */
function oneLine(message: string): string {
  const facts = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^The following errors? occurred:?$/.test(line) && !/^See more help with/.test(line))
  // "Missing 1 required arg:" is followed by the arg's line; oclif's notes after that are noise here.
  const first = facts[0] ?? 'invalid arguments'
  // A flag value its parser refused: "Parsing --concurrency" then the parser's reason.
  const parsing = /^Parsing (--\S+)$/.exec(first)
  if (parsing && facts[1]) return `${parsing[1]}: ${facts[1]} (see --help)`
  const fact = first.endsWith(':') && facts[1] ? `${first} ${facts[1].split(/\s{2,}/)[0]}` : first
  return `${fact} (see --help)`
}
