import {PluginError} from '../errors.js'

/** `-a key=value` flags into an annotation map; the first `=` splits, so values may hold `=`. */
export function parseAnnotationFlags(values: readonly string[] | undefined): Record<string, string> {
  const annotations: Record<string, string> = {}
  for (const value of values ?? []) {
    const at = value.indexOf('=')
    if (at <= 0) {
      throw new PluginError('USAGE', `annotation "${value}" must be key=value (e.g. -a team=payments)`)
    }

    annotations[value.slice(0, at)] = value.slice(at + 1)
  }

  return annotations
}
