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

/**
 * Direct mode's start: the key decrypts (or Fulcio certifies the keyless key) while the images
 * resolve; a key or certificate problem is reported first, and nothing is written until both are done.
 */
export async function resolveWhileSigning<S>(
  client: RegistryClient,
  references: readonly ImageReference[],
  startSigning: () => Promise<S>,
  concurrency: number,
): Promise<{images: ResolvedImage[]; signing: S}> {
  const [signing, images] = await Promise.allSettled([startSigning(), resolveImages(client, references, concurrency)])
  if (signing.status === 'rejected') throw signing.reason
  if (images.status === 'rejected') throw images.reason
  return {images: images.value, signing: signing.value}
}
