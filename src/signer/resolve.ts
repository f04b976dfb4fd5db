import {type ImageReference, type Repository, manifestReference, referenceName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {mapLimit} from '../util/map-limit.js'

/** An image pinned to its digest: tags are resolved once, and the digest is what gets signed. */
export interface ResolvedImage {
  /** As the user named it. */
  name: string
  repository: Repository
  digest: string
  mediaType: string
  /** Manifest size in bytes (the descriptor a bundle referrer names as its subject). */
  size: number
}

export async function resolveImages(client: RegistryClient, references: readonly ImageReference[], concurrency: number): Promise<ResolvedImage[]> {
  return mapLimit(references, concurrency, async (reference) => {
    const manifest = await client.getManifest(reference.repository, manifestReference(reference))
    return {name: referenceName(reference), repository: reference.repository, digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length}
  })
}
