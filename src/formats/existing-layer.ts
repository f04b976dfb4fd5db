import {type Repository} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {push} from '../registry/scope.js'
import {type Descriptor, type ImageManifest} from '../registry/types.js'
import {type AppendResult, MAX_SIGNATURE_LAYERS, type PendingLayer} from './tag-writer.js'

/**
 * An entry equivalent to the one about to be made, already under a cosign tag — looked for before
 * signing when making it has a cost outside the registry: a logged signature's Rekor upload. A
 * re-run then adds nothing to the registry and nothing to the transparency log. (The TagWriter
 * checks again when it writes; this only saves the work when the answer is already known.)
 */
export async function findExistingLayer(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  mediaType: string,
  isEquivalent: PendingLayer['isEquivalent'],
): Promise<AppendResult | undefined> {
  // push scope: the write that usually follows reuses the token.
  const manifest = await client.findManifest(repository, tag, push(repository))
  const layers = (manifest?.json as ImageManifest | undefined)?.layers
  if (!manifest || !Array.isArray(layers)) return undefined
  for (const layer of layers.slice(0, MAX_SIGNATURE_LAYERS) as Descriptor[]) {
    if (layer.mediaType !== mediaType) continue
    if (await isEquivalent({descriptor: layer, read: (maxBytes) => client.getBlob(repository, layer.digest, maxBytes)})) {
      return {repository, tag, manifestDigest: manifest.digest, appended: false}
    }
  }

  return undefined
}
