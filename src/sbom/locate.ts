import {PluginError} from '../errors.js'

/** The label the CNB lifecycle writes on app images; its `sbom.sha` names the SBOM layer. */
export const LIFECYCLE_METADATA_LABEL = 'io.buildpacks.lifecycle.metadata'

export interface LayerDescriptor {
  mediaType: string
  digest: string
  size: number
}

/** The parts of an image manifest this needs; an OCI or Docker v2 manifest fits. */
export interface ManifestLike {
  layers?: readonly unknown[]
}

/** The parts of an image config this needs (`config.Labels`, `rootfs.diff_ids`). */
export interface ImageConfigLike {
  config?: {Labels?: Record<string, unknown> | null} | null
  rootfs?: {diff_ids?: readonly unknown[] | null} | null
}

export interface SbomLayerLocation {
  /** The manifest's descriptor for the SBOM layer (the object itself, annotations kept). */
  descriptor: LayerDescriptor
  /** sha256 of the uncompressed layer, to check the layer against while reading it. */
  diffId: string
  /** Position in `manifest.layers` and `rootfs.diff_ids`. */
  index: number
}

/**
 * Finds the SBOM layer of a CNB app image (Platform API 0.8+): the lifecycle metadata label's
 * `sbom.sha` is a diffID; its position in `rootfs.diff_ids` is the layer's position in the
 * manifest.
 *
 * Returns undefined when the image has no SBOM to export (no label, no `sbom` in it, or a diffID
 * the config does not list), for the caller to warn about: an image built without SBOMs is not an
 * error. Throws SBOM_INVALID when the metadata is there but unusable (label not JSON, config and
 * manifest disagreeing on the layer count, a malformed descriptor).
 */
export function findSbomLayer(manifest: ManifestLike, config: ImageConfigLike): SbomLayerLocation | undefined {
  // Both come from the registry: a digest-correct `null` or array is still not a manifest/config.
  if (!isObject(config as unknown)) throw new PluginError('SBOM_INVALID', 'the image config is not a JSON object')
  if (!isObject(manifest as unknown)) throw new PluginError('SBOM_INVALID', 'the image manifest is not a JSON object')
  const diffId = sbomDiffId(config)
  if (diffId === undefined) return undefined

  const layers = manifest.layers
  if (!Array.isArray(layers)) {
    throw new PluginError('SBOM_INVALID', 'expected an image manifest with layers to find the SBOM layer in (got an index or another document)')
  }

  const diffIds = config.rootfs?.diff_ids
  if (!Array.isArray(diffIds)) throw new PluginError('SBOM_INVALID', 'the image config has no rootfs.diff_ids list')
  if (diffIds.length !== layers.length) {
    throw new PluginError(
      'SBOM_INVALID',
      `the image config lists ${diffIds.length} layer diffIDs but the manifest has ${layers.length} layers`,
    )
  }

  // lastIndexOf: the exporter appends the SBOM layer after the app's layers. Should identical
  // content appear twice, any of its positions holds the same tar; the last is the SBOM's own.
  const index = diffIds.lastIndexOf(diffId)
  if (index === -1) return undefined

  return {descriptor: checkDescriptor(layers[index], index), diffId, index}
}

/** The diffID from the label, or undefined when the image carries no SBOM. */
function sbomDiffId(config: ImageConfigLike): string | undefined {
  const label = config.config?.Labels?.[LIFECYCLE_METADATA_LABEL]
  if (label === undefined || label === null) return undefined
  if (typeof label !== 'string') throw malformedLabel('it is not a string')

  let metadata: unknown
  try {
    metadata = JSON.parse(label)
  } catch (error) {
    throw malformedLabel(`it is not valid JSON (${(error as Error).message})`, error)
  }

  if (!isObject(metadata)) throw malformedLabel('it is not a JSON object')
  const sbom = metadata.sbom
  if (sbom === undefined || sbom === null) return undefined
  if (!isObject(sbom)) throw malformedLabel('its "sbom" entry is not an object')
  const sha = sbom.sha
  if (sha === undefined || sha === null || sha === '') return undefined
  if (typeof sha !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(sha)) {
    throw malformedLabel(`its "sbom.sha" (${JSON.stringify(sha)}) is not a sha256 diffID`)
  }

  return sha
}

function checkDescriptor(value: unknown, index: number): LayerDescriptor {
  if (
    isObject(value) &&
    typeof value.mediaType === 'string' &&
    typeof value.digest === 'string' &&
    /^sha256:[0-9a-f]{64}$/.test(value.digest) &&
    typeof value.size === 'number' &&
    Number.isSafeInteger(value.size) &&
    value.size >= 0
  ) {
    return value as unknown as LayerDescriptor
  }

  throw new PluginError('SBOM_INVALID', `the manifest's layer ${index} (the SBOM layer) is not a valid descriptor`)
}

function malformedLabel(why: string, cause?: unknown): PluginError {
  return new PluginError('SBOM_INVALID', `the image label ${LIFECYCLE_METADATA_LABEL} is malformed: ${why}`, {cause})
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
