import {PluginError} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type Descriptor, type FetchedManifest, type ImageIndex, type ImageManifest} from '../registry/types.js'
import {type SbomDocument, type SbomLimits, findSbomLayer, readSbomDocuments, resolveLimits} from '../sbom/index.js'

// The RFC's SBOM step, read side: the SBOM documents of the image as the registry holds it (for
// an index, of each platform manifest that has one). An image without an SBOM layer is a
// warning, not a failure.

export interface SbomSubject {
  digest: string
  /** The manifest the SBOM belongs to (a bundle referrer's subject). */
  descriptor: Descriptor
  documents: SbomDocument[]
}

const MAX_CONFIG_BYTES = 16 * 1024 * 1024

export async function collectSboms(
  client: RegistryClient,
  repository: Repository,
  manifest: FetchedManifest,
  limitOverrides: Partial<SbomLimits> = {},
): Promise<{subjects: SbomSubject[]; warnings: string[]}> {
  const limits = resolveLimits(limitOverrides)
  const warnings: string[] = []
  const images = isIndexMediaType(manifest.mediaType)
    ? await Promise.all((manifest.json as ImageIndex).manifests.map((child) => client.getManifest(repository, child.digest)))
    : [manifest]
  const subjects: SbomSubject[] = []
  for (const image of images) {
    const where = `${repositoryName(repository)}@${image.digest}`
    const json = image.json as ImageManifest
    if (!json.config?.digest) continue
    const config = parseImageConfig(await client.getBlob(repository, json.config.digest, MAX_CONFIG_BYTES), where, json.config.digest)
    const location = findSbomLayer(json, config)
    if (!location) {
      warnings.push(`${where} has no SBOM layer (no "sbom" in the io.buildpacks.lifecycle.metadata label); no SBOM exported`)
      continue
    }

    if (location.descriptor.size > limits.maxCompressedBytes) {
      throw new PluginError('SBOM_INVALID', `${where}: the SBOM layer is ${location.descriptor.size} bytes, over the ${limits.maxCompressedBytes}-byte limit (--sbom-max-layer-mib)`)
    }

    const layer = await client.getBlob(repository, location.descriptor.digest, limits.maxCompressedBytes)
    const documents = await readSbomDocuments(layer, location.descriptor.mediaType, location.diffId, limits, (note) =>
      warnings.push(`${where}: SBOM layer entry ${note.path} skipped: ${note.reason}`),
    )
    if (documents.length === 0) {
      warnings.push(`${where}: the SBOM layer holds no layers/sbom/launch documents; no SBOM exported`)
      continue
    }

    subjects.push({digest: image.digest, descriptor: {mediaType: image.mediaType, digest: image.digest, size: image.bytes.length}, documents})
  }

  return {subjects, warnings}
}

/**
 * The image config, which names the SBOM layer. Its bytes match its digest (getBlob checks), so
 * a config that is not JSON is a malformed image, not a registry fault: SBOM_INVALID, as
 * findSbomLayer says of a config that is JSON but not an object.
 */
function parseImageConfig(bytes: Buffer, where: string, digest: string): Parameters<typeof findSbomLayer>[1] {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new PluginError('SBOM_INVALID', `${where}: its image config ${digest} is not valid JSON, so the SBOM layer cannot be found; push the image again from a working build, or set export-sbom = "none" to sign without exporting the SBOM`)
  }
}

/** The document an SBOM attachment holds: CycloneDX first, then SPDX, then Syft; within a format, by path (documented in docs/config.md). */
export function attachmentOrder(documents: readonly SbomDocument[]): SbomDocument[] {
  const rank = {cyclonedx: 0, spdx: 1, syft: 2} as const
  return [...documents].sort((a, b) => rank[a.format] - rank[b.format] || a.path.localeCompare(b.path))
}
