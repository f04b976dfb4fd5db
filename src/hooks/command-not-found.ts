import {realpathSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type Hook} from '@oclif/core'

/**
 * An unknown command, standalone (`pack-ts-sign sgin`): our one-line `Error: …` and the usage
 * exit code 2, naming the commands there are (and the closest one), instead of oclif's
 * ` ›   Error:` block. Inside a host the host's CLI is not ours to word: this hook then stands
 * aside, as if it were not there.
 */
const hook: Hook.CommandNotFound = async function ({config, id}) {
  if (!isThisPackage(config.root)) {
    const others = [...config.plugins.values()].some((p) => !isThisPackage(p.root) && (p.hooks?.command_not_found?.length ?? 0) > 0)
    // oclif's own words and exit code when no other hook answers; otherwise an error oclif keeps
    // aside (no exit code) so that the host's hook (e.g. plugin-not-found) decides.
    if (!others) {
      const {Errors} = await import('@oclif/core')
      throw new Errors.CLIError(`command ${id} not found`)
    }

    throw new Error(`command ${id} not found`)
  }

  const [{failCommand}, {PluginError}] = await Promise.all([import('./fail.js'), import('../errors.js')])
  // Shown as typed: `pkcs11 list-keys`, not oclif's `pkcs11:list-keys`.
  const commands = [...new Set(config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' ')))].sort()
  // With spaces between words, oclif joins the arguments that follow into the id it could not
  // find ("sgin img:v1" → "sgin:img:v1"): the first word is what was typed, or the first two
  // under a topic ("pkcs11 lst-keys").
  const words = id.split(':')
  const topic = commands.some((c) => c.startsWith(`${words[0]} `))
  const typed = (topic && words.length > 1 ? words.slice(0, 2).join(' ') : words[0]) ?? id
  const near = closest(typed, commands)
  const guess = near ? ` (did you mean ${near}?)` : ''
  const shown = typed.length > 40 ? `${typed.slice(0, 40)}…` : typed
  failCommand(this, new PluginError('USAGE', `unknown command ${JSON.stringify(shown)}${guess}; the commands are ${commands.join(', ')} (see --help)`))
}

export default hook

const ourRoot = safeRealpath(fileURLToPath(new URL('../../', import.meta.url)))

/** Whether a plugin (or the CLI's root) is this package: standalone, the root is. */
function isThisPackage(root: string): boolean {
  return safeRealpath(root) === ourRoot
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path).replace(/\/+$/, '')
  } catch {
    return path.replace(/\/+$/, '')
  }
}

/** The command within two edits of what was typed (or that starts with it), if one is. */
function closest(typed: string, commands: readonly string[]): string | undefined {
  let best: {id: string; distance: number} | undefined
  for (const id of commands) {
    const distance = id.startsWith(typed) && typed.length >= 3 ? 1 : editDistance(typed, id)
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = {id, distance}
  }

  return best?.id
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }

    previous = row
  }

  return previous[b.length]!
}
