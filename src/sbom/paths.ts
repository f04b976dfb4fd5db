import {formatForFileName, type SbomFormatInfo} from './formats.js'

// Where SBOM documents sit inside the CNB SBOM layer (platform spec, API 0.8+):
//   layers/sbom/launch/<buildpack-id, / as _>/sbom.<ext>
//   layers/sbom/launch/<buildpack-id, / as _>/<layer-name>/sbom.<ext>
// The lifecycle's own SBOM sits under `buildpacksio_lifecycle` like any buildpack's.
// `layers/sbom/build/...` and `layers/sbom/cache/...` never reach the app image's consumers and
// are ignored, as is anything else in the layer.

export interface SbomPathMatch {
  /** The normalised path: no leading `/` or `./`, no empty or `.` segments. */
  path: string
  /** The buildpack directory exactly as written (`paketo-buildpacks_node-engine`). */
  buildpack: string
  layer?: string
  info: SbomFormatInfo
}

export type NormalisedPath = {ok: true; segments: string[]; path: string} | {ok: false; reason: string}

/**
 * Tar entry names are relative by convention but tools write `/layers/...` and `./layers/...`
 * too; both mean the same file. Empty and `.` segments are dropped (what tar itself does). A `..`
 * segment is refused rather than resolved: the lifecycle never writes one, so it can only be a
 * broken or crafted layer, and resolving it could pass a document off as another buildpack's.
 */
export function normalisePath(name: string): NormalisedPath {
  if (name.includes('\0')) return {ok: false, reason: 'the name contains a NUL byte'}
  const segments = name.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..')) return {ok: false, reason: 'the name contains a ".." segment'}
  return {ok: true, segments, path: segments.join('/')}
}

const LAUNCH_PREFIX = ['layers', 'sbom', 'launch']

/** The CNB SBOM location a normalised path names, if any. */
export function matchSbomPath(segments: readonly string[]): SbomPathMatch | undefined {
  if (segments.length !== 5 && segments.length !== 6) return undefined
  if (!LAUNCH_PREFIX.every((segment, i) => segments[i] === segment)) return undefined
  const info = formatForFileName(segments.at(-1)!)
  if (!info) return undefined
  const path = segments.join('/')
  const buildpack = segments[3]
  return segments.length === 6 ? {path, buildpack, layer: segments[4], info} : {path, buildpack, info}
}
