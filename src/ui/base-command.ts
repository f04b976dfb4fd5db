import {Command, Errors} from '@oclif/core'

import {isPluginError, messageOf} from '../errors.js'

/**
 * Base of every command: turns any failure into one line on stderr (no stack trace) with the
 * exit code of its class. Parse errors from oclif keep oclif's own wording and exit code 2.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (isPluginError(error)) {
      return super.catch(toCliError(error.message, error.exitCode, error.code))
    }

    if (error instanceof Errors.CLIError || error.oclif?.exit !== undefined) {
      // oclif's own errors (flag parsing, --help exit) already print well.
      return super.catch(error)
    }

    return super.catch(toCliError(`unexpected error: ${messageOf(error)}`, 1, 'INTERNAL'))
  }
}

function toCliError(message: string, exit: number, code: string): Errors.CLIError {
  const error = new Errors.CLIError(message, {exit, code})
  // CLIError keeps a stack for DEBUG; the user sees only the message.
  return error
}
