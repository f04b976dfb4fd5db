import {PluginError} from '../errors.js'
import {annotationSizeProblems, shorten} from '../util/input-limits.js'

/**
 * `-a key=value` flags into an annotation map. Exactly one `=`, as cosign (2.5, 3.1) requires:
 * `-a k=v=w` is refused there, so it is here (cosign.toml's [[annotations]] have no such limit).
 * Sizes are capped (see util/input-limits.ts).
 */
export function parseAnnotationFlags(values: readonly string[] | undefined): Record<string, string> {
  const annotations: Record<string, string> = {}
  for (const value of values ?? []) {
    const at = value.indexOf('=')
    if (at <= 0) {
      throw new PluginError('USAGE', `annotation ${shorten(value)} must be key=value (e.g. -a team=payments)`)
    }

    if (value.includes('=', at + 1)) {
      throw new PluginError(
        'USAGE',
        `annotation ${shorten(value)} has more than one "="; -a takes key=value with no "=" in the value, as cosign does (cosign.toml [[annotations]] values may hold "=")`,
      )
    }

    annotations[value.slice(0, at)] = value.slice(at + 1)
  }

  const [problem] = annotationSizeProblems(Object.entries(annotations))
  if (problem) throw new PluginError('USAGE', `-a: ${problem.message}`)
  return annotations
}
