import {PluginError} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {push} from '../registry/scope.js'
import {type Descriptor, type ImageManifest} from '../registry/types.js'
import {KeyedLock} from '../util/keyed-lock.js'
import {buildSignatureImage} from './signature-image.js'

/**
 * Adds one layer to the image under a cosign tag (`.sig`, `.att`): read what is there, skip when
 * an equivalent layer exists, upload the new layer and config, write the manifest back.
 */
export const MAX_SIGNATURE_LAYERS = 1000
const MAX_DUPLICATE_CHECK_BYTES = 64 * 1024 * 1024

export interface NewLayer {
  content: Buffer
  descriptor: Descriptor
}

export interface AppendResult {
  repository: Repository
  tag: string
  manifestDigest: string
  /** False when an equivalent layer was already there (re-runs add nothing). */
  appended: boolean
}

export interface AppendOptions {
  dockerMediaTypes: boolean
  /**
   * Whether an existing layer already stands for the new one (re-runs add nothing). `content`
   * reads that layer's blob, verified, for checks that need more than its descriptor.
   */
  isDuplicate: (existing: Descriptor, content: () => Promise<Buffer>) => Promise<boolean>
}

const tagLocks = new KeyedLock()

export function appendLayer(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  layer: NewLayer,
  options: AppendOptions,
): Promise<AppendResult> {
  return tagLocks.run(`${repositoryName(repository)}:${tag}`, () => appendUnlocked(client, repository, tag, layer, options))
}

async function appendUnlocked(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  layer: NewLayer,
  options: AppendOptions,
): Promise<AppendResult> {
  const existing = await client.findManifest(repository, tag, push(repository))
  const where = `${repositoryName(repository)}:${tag}`
  let layers: Descriptor[] = []
  if (existing) {
    if (isIndexMediaType(existing.mediaType) || !Array.isArray((existing.json as ImageManifest).layers)) {
      throw new PluginError('REGISTRY_ERROR', `${where} is not an image manifest; cosign tags must hold one (remove or retag it)`)
    }

    layers = (existing.json as ImageManifest).layers
    if (layers.length >= MAX_SIGNATURE_LAYERS) {
      throw new PluginError('REGISTRY_ERROR', `${where} already holds ${layers.length} layers; verifiers refuse more than ${MAX_SIGNATURE_LAYERS}`)
    }

    for (const candidate of layers) {
      const content = () => client.getBlob(repository, candidate.digest, MAX_DUPLICATE_CHECK_BYTES)
      if (candidate.mediaType === layer.descriptor.mediaType && (await options.isDuplicate(candidate, content))) {
        return {repository, tag, manifestDigest: existing.digest, appended: false}
      }
    }
  }

  await client.uploadBlob(repository, layer.content, layer.descriptor.mediaType)
  const image = buildSignatureImage([...layers, layer.descriptor], options.dockerMediaTypes)
  await client.uploadBlob(repository, image.config, image.configDescriptor.mediaType)
  const written = await client.putManifest(repository, tag, image.manifest, image.manifestMediaType)
  return {repository, tag, manifestDigest: written.digest, appended: true}
}
