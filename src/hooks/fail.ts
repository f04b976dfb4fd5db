import {type Hook, ux} from '@oclif/core'

import {isPluginError, messageOf} from '../errors.js'

/**
 * Ends the host's command from a hook the way our commands end: one line on stderr and the exit
 * code of the failure's class. `exit` throws oclif's ExitError, which runHook lets through (its
 * exit code is not 0) and the host's error handler turns into process.exit(code) without printing.
 */
export function failCommand(context: Hook.Context, error: unknown): void {
  const known = isPluginError(error)
  const message = known ? error.message : `unexpected error: ${messageOf(error)}`
  ux.stderr(`Error: ${message.replaceAll('\n', ' ')}`)
  if (!known && process.env.DEBUG && error instanceof Error) ux.stderr(String(error.stack))
  context.exit(known ? error.exitCode : 1)
}
