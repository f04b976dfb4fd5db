import {readFile} from 'node:fs/promises'

import {PluginError, messageOf} from '../errors.js'

/**
 * Reads a config file as text. `what` names it for the user ("cosign config", "report"), so a
 * wrong flag value reads as `cosign config ./cosgn.toml not found`.
 */
export async function readConfigText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new PluginError('CONFIG_INVALID', `${what} ${path} not found`, {cause: error})
    if (code === 'EISDIR') throw new PluginError('CONFIG_INVALID', `${what} ${path} is a directory, not a file`, {cause: error})
    throw new PluginError('CONFIG_INVALID', `cannot read ${what} ${path}: ${messageOf(error)}`, {cause: error})
  }
}
