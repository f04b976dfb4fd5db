import {annotationSizeProblems} from '../util/input-limits.js'
import {type KeyPath, showPath} from './key-path.js'
import type {Problems} from './problems.js'
import {describe, isTable} from './values.js'

const ANNOTATION_KEYS = ['name', 'value'] as const
const HOW = 'each [[annotations]] needs name = "<name>" and value = "<value>"'

/**
 * The top-level `[[annotations]]` of cosign.toml: name/value pairs added to every signature.
 * Names must be unique (a repeated name would silently overwrite).
 */
export function readAnnotations(value: unknown, problems: Problems): Record<string, string> {
  if (value === undefined) return {}
  if (!Array.isArray(value)) {
    problems.add(['annotations'], `annotations is ${describe(value)}; expected [[annotations]] tables (${HOW})`)
    return {}
  }

  const pairs: [string, string][] = []
  const entryIndex: number[] = [] // pairs[i] comes from annotations[entryIndex[i]]
  const firstIndex = new Map<string, number>()
  for (const [index, entry] of value.entries()) {
    const path = ['annotations', index]
    if (!isTable(entry)) {
      problems.add(path, `${showPath(path)} is ${describe(entry)}; expected a table (${HOW})`)
      continue
    }

    problems.checkKeys(entry, path, ANNOTATION_KEYS, 'in [[annotations]]')
    const name = readString(entry, path, 'name', problems)
    const text = readString(entry, path, 'value', problems)
    if (name === '') {
      problems.add([...path, 'name'], `${showPath([...path, 'name'])} is empty; expected a non-empty string`)
    } else if (name !== undefined && firstIndex.has(name)) {
      problems.add(
        [...path, 'name'],
        `${showPath([...path, 'name'])} ${JSON.stringify(name)} repeats annotations[${firstIndex.get(name)}]; names must be unique`,
      )
    } else if (name !== undefined) {
      firstIndex.set(name, index)
      if (text !== undefined) {
        pairs.push([name, text])
        entryIndex.push(index)
      }
    }
  }

  // Capped like -a: a runaway value would otherwise be pushed in every signature.
  for (const problem of annotationSizeProblems(pairs)) {
    const at = problem.index === undefined ? ['annotations'] : ['annotations', entryIndex[problem.index]!, problem.part!]
    problems.add(at, problem.index === undefined ? problem.message : `${showPath(at)}: ${problem.message}`)
  }

  // fromEntries defines own properties, so even a name like "__proto__" is an ordinary entry.
  return Object.fromEntries(pairs)
}

function readString(entry: Record<string, unknown>, path: KeyPath, key: string, problems: Problems): string | undefined {
  const value = entry[key]
  if (value === undefined) {
    problems.add(path, `${showPath(path)} has no ${JSON.stringify(key)}; ${HOW}`)
    return undefined
  }

  if (typeof value !== 'string') {
    problems.add([...path, key], `${showPath([...path, key])} is ${describe(value)}; expected a string`)
    return undefined
  }

  return value
}
