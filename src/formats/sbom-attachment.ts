import {type Repository} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {sha256Digest} from '../registry/digest.js'
import {type Descriptor} from '../registry/types.js'
import {buildSignatureImage} from './signature-image.js'
import {cosignTag} from './tags.js'

// docs/formats.md §3: an SBOM document attached under `sha256-<hex>.sbom`, one layer with the
// document's own media type. Like `cosign attach sbom`, the tag is replaced, not appended.
// cosign's readers (`cosign download sbom`) accept exactly one layer, so callers pick one document.

export interface SbomAttachment {
  mediaType: string
  content: Buffer
}

export async function writeSbomAttachment(
  client: RegistryClient,
  repository: Repository,
  digest: string,
  document: SbomAttachment,
  dockerMediaTypes: boolean,
): Promise<{repository: Repository; tag: string; manifestDigest: string}> {
  const layer: Descriptor = {mediaType: document.mediaType, size: document.content.length, digest: sha256Digest(document.content)}
  await client.uploadBlob(repository, document.content, document.mediaType)
  const image = buildSignatureImage([layer], dockerMediaTypes)
  await client.uploadBlob(repository, image.config, image.configDescriptor.mediaType)
  const tag = cosignTag(digest, 'sbom')
  const written = await client.putManifest(repository, tag, image.manifest, image.manifestMediaType)
  return {repository, tag, manifestDigest: written.digest}
}
