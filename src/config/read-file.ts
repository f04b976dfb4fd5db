import {PluginError, messageOf} from '../errors.js'
import {formatSize, MAX_CONFIG_FILE_BYTES, readFileAtMost} from '../util/input-limits.js'

/**
 * Reads a config file as text. `what` names it for the user ("cosign config", "report"), so a
 * wrong flag value reads as `cosign config ./cosgn.toml not found`. A file over
 * MAX_CONFIG_FILE_BYTES is refused without being read into memory.
 */
export async function readConfigText(path: string, what: string): Promise<string> {
  let bytes: Buffer | undefined
  try {
    bytes = await readFileAtMost(path, MAX_CONFIG_FILE_BYTES)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new PluginError('CONFIG_INVALID', `${what} ${path} not found`, {cause: error})
    if (code === 'EISDIR') throw new PluginError('CONFIG_INVALID', `${what} ${path} is a directory, not a file`, {cause: error})
    throw new PluginError('CONFIG_INVALID', `cannot read ${what} ${path}: ${messageOf(error)}`, {cause: error})
  }

  if (bytes === undefined) {
    throw new PluginError(
      'CONFIG_INVALID',
      `${what} ${path} is larger than ${formatSize(MAX_CONFIG_FILE_BYTES)}, the most this tool reads (a real one is a few KiB): is it the right file?`,
    )
  }

  return bytes.toString('utf8')
}
