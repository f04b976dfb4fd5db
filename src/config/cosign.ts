import {dirname} from 'node:path'

import {readAnnotations} from './annotations.js'
import {Locations} from './locations.js'
import {Problems} from './problems.js'
import {readConfigText} from './read-file.js'
import {readSigningConfigs} from './signing-configs.js'
import {parseToml, stripBom} from './toml.js'
import type {CosignConfig} from './types.js'

const TOP_LEVEL_KEYS = ['annotations', 'configs'] as const

/**
 * Parses and strictly validates cosign.toml (RFC schema plus this plugin's additions). Every
 * problem is reported at once, with its line, as one CONFIG_INVALID error. `file` is the path as
 * the user gave it: it appears in messages, and relative key/password paths resolve against its
 * folder.
 */
export function parseCosignConfig(text: string, file: string): CosignConfig {
  const source = stripBom(text)
  const doc = parseToml(source, file)
  const problems = new Problems(file, Locations.scan(source))
  problems.checkKeys(doc, [], TOP_LEVEL_KEYS, 'at the top level')
  const annotations = readAnnotations(doc.annotations, problems)
  const configs = readSigningConfigs(doc.configs, dirname(file), problems)
  problems.throwIfAny()
  return {file, annotations, configs}
}

export async function readCosignConfig(path: string): Promise<CosignConfig> {
  return parseCosignConfig(await readConfigText(path, 'cosign config'), path)
}
