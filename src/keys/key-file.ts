import {readFile} from 'node:fs/promises'

import {messageOf, PluginError} from '../errors.js'

/** The text of a key file; a missing file is KEY_NOT_FOUND, any other read failure KEY_INVALID. */
export async function readKeyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PluginError('KEY_NOT_FOUND', `key file ${path} not found`, {cause: error})
    }

    throw new PluginError('KEY_INVALID', `cannot read key file ${path}: ${messageOf(error)}`, {cause: error})
  }
}
