import {type Descriptor} from '../registry/types.js'

/**
 * Descriptors serialised in go-containerregistry's field order (mediaType, size, digest,
 * annotations, platform, artifactType), so our manifests read like cosign's, byte for byte.
 */
export function descriptorJson(descriptor: Descriptor): Record<string, unknown> {
  return {
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    digest: descriptor.digest,
    ...(descriptor.annotations && Object.keys(descriptor.annotations).length > 0 ? {annotations: descriptor.annotations} : {}),
    ...(descriptor.platform ? {platform: descriptor.platform} : {}),
    ...(descriptor.artifactType ? {artifactType: descriptor.artifactType} : {}),
  }
}
