import {sha256Digest} from '../../registry/digest.js'
import {MediaType} from '../../registry/media-types.js'
import {type Descriptor} from '../../registry/types.js'
import {descriptorJson} from '../descriptor-json.js'
import {BUNDLE_MEDIA_TYPE, EMPTY_CONFIG} from './media-types.js'
import {BundleAnnotation} from '../annotations.js'

// The artifact manifest cosign pushes for a bundle (pkg/oci/remote/write.go `WriteReferrer`), in
// go-containerregistry's field order: the empty config (which cosign also gives the
// artifactType), the bundle as the one layer, the annotations (sorted, as Go writes maps), the
// subject, and artifactType last.

export const EMPTY_CONFIG_DESCRIPTOR: Descriptor = {
  mediaType: MediaType.ociEmpty,
  size: EMPTY_CONFIG.length,
  digest: sha256Digest(EMPTY_CONFIG),
}

export function bundleReferrerManifest(bundle: Descriptor, subject: Descriptor, predicateType: string, created: Date): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptorJson({...EMPTY_CONFIG_DESCRIPTOR, artifactType: BUNDLE_MEDIA_TYPE}),
      layers: [descriptorJson(bundle)],
      annotations: {
        [BundleAnnotation.content]: 'dsse-envelope',
        [BundleAnnotation.predicateType]: predicateType,
        [BundleAnnotation.created]: rfc3339Seconds(created),
      },
      subject: descriptorJson({mediaType: subject.mediaType, size: subject.size, digest: subject.digest}),
      artifactType: BUNDLE_MEDIA_TYPE,
    }),
  )
}

/** Go's time.RFC3339 of a UTC time: whole seconds, `Z`. */
function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z')
}
