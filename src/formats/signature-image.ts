import {sha256Digest} from '../registry/digest.js'
import {MediaType} from '../registry/media-types.js'
import {type Descriptor} from '../registry/types.js'
import {descriptorJson} from './descriptor-json.js'

/**
 * The image cosign stores under `.sig`/`.att`/`.sbom` tags: one layer per signed payload, and a
 * config whose diff_ids are the (uncompressed) layer digests, with cosign's zero timestamps.
 */
const ZERO_TIME = '0001-01-01T00:00:00Z'

export interface SignatureImage {
  config: Buffer
  configDescriptor: Descriptor
  manifest: Buffer
  manifestMediaType: string
}

export function buildSignatureImage(layers: Descriptor[], dockerMediaTypes: boolean): SignatureImage {
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: ZERO_TIME,
      history: layers.map(() => ({created: ZERO_TIME})),
      os: '',
      rootfs: {type: 'layers', diff_ids: layers.map((l) => l.digest)},
      config: {},
    }),
  )
  const configDescriptor: Descriptor = {
    mediaType: dockerMediaTypes ? MediaType.dockerConfig : MediaType.ociConfig,
    size: config.length,
    digest: sha256Digest(config),
  }
  const manifestMediaType = dockerMediaTypes ? MediaType.dockerManifest : MediaType.ociManifest
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: manifestMediaType,
      config: descriptorJson(configDescriptor),
      layers: layers.map(descriptorJson),
    }),
  )
  return {config, configDescriptor, manifest, manifestMediaType}
}
