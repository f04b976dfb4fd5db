import TOML from '@iarna/toml'

import {PluginError, messageOf} from '../errors.js'
import type {Table} from './values.js'

/** What @iarna/toml attaches to its syntax errors: 0-based line and column. */
interface TomlSyntaxError {
  fromTOML: true
  line: number
  col: number
  message: string
}

/**
 * Parses TOML text. A syntax error becomes CONFIG_INVALID `file:LINE:COL: <what>`, 1-based, without
 * @iarna/toml's excerpt of the source (the position already says where to look).
 */
export function parseToml(text: string, file: string): Table {
  try {
    return TOML.parse(stripBom(text)) as Table
  } catch (error) {
    if (isTomlSyntaxError(error)) {
      const what = /^([\s\S]*?) at row \d+, col \d+, pos \d+:/.exec(error.message)?.[1] ?? error.message.split('\n')[0]
      throw new PluginError('CONFIG_INVALID', `${file}:${error.line + 1}:${error.col + 1}: ${what}`, {cause: error})
    }

    throw new PluginError('CONFIG_INVALID', `${file}: not valid TOML: ${messageOf(error)}`, {cause: error})
  }
}

/** Editors on Windows may save a byte-order mark; it is not part of the TOML. */
export function stripBom(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text
}

function isTomlSyntaxError(error: unknown): error is TomlSyntaxError {
  const e = error as Partial<TomlSyntaxError> | null
  return typeof e === 'object' && e !== null && e.fromTOML === true && typeof e.line === 'number' && typeof e.col === 'number'
}
