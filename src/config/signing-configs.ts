import {showPath} from './key-path.js'
import type {Problems} from './problems.js'
import {combinationProblems, SIGNING_FIELDS, SIGNING_KEYS} from './signing-fields.js'
import type {SigningConfig} from './types.js'
import {describe, isTable} from './values.js'

/** The `[[configs]]` array of cosign.toml: at least one entry, each checked against SIGNING_FIELDS. */
export function readSigningConfigs(value: unknown, baseDir: string, problems: Problems): SigningConfig[] {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    problems.add(undefined, 'no [[configs]]; add at least one [[configs]] with key = "<path>" (or keyless = true)')
    return []
  }

  if (!Array.isArray(value)) {
    problems.add(['configs'], `configs is ${describe(value)}; expected one or more [[configs]] tables`)
    return []
  }

  const configs: SigningConfig[] = []
  for (const [index, entry] of value.entries()) {
    const config = readOne(entry, index, baseDir, problems)
    if (config) configs.push(config)
  }

  return configs
}

function readOne(entry: unknown, index: number, baseDir: string, problems: Problems): SigningConfig | undefined {
  const path = ['configs', index]
  if (!isTable(entry)) {
    problems.add(path, `${showPath(path)} is ${describe(entry)}; expected a table with key = "<path>"`)
    return undefined
  }

  problems.checkKeys(entry, path, SIGNING_KEYS, 'in [[configs]]')
  // Filled field by field from the table; the cast is safe because SIGNING_FIELDS covers every field.
  const config: Record<string, unknown> = {index}
  let ok = true
  for (const [field, rule] of Object.entries(SIGNING_FIELDS)) {
    const raw = entry[rule.name]
    if (raw === undefined) {
      if ('required' in rule.absent) {
        problems.add(path, `${showPath(path)} has no ${JSON.stringify(rule.name)} (${rule.absent.required})`)
        ok = false
      } else if (rule.absent.value !== undefined) {
        config[field] = rule.absent.value
      }

      continue
    }

    const checked = rule.check(raw, baseDir)
    if ('complaint' in checked) {
      problems.add([...path, rule.name], `${showPath([...path, rule.name])} ${checked.complaint}`)
      ok = false
    } else {
      config[field] = checked.value
    }
  }

  // Checked even when a key was invalid, so every problem shows at once (an invalid key is absent here).
  for (const problem of combinationProblems(config as Partial<SigningConfig>, entry)) {
    problems.add(problem.at === undefined ? path : [...path, problem.at], `${showPath(path)}${problem.message}`)
    ok = false
  }

  return ok ? (config as unknown as SigningConfig) : undefined
}
