import {PluginError} from '../errors.js'
import {type HostBuildInputs, provenancePredicate} from '../provenance/predicate.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type FetchedManifest, type ImageIndex, type ImageManifest} from '../registry/types.js'

/**
 * The provenance step, read side: the image's config labels as the registry holds them (for an
 * index, those of its first platform image: one build made them all), turned into the SLSA v1
 * predicate. The attestation's subject is the signed digest.
 */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024

export interface ProvenanceRequest {
  repository: Repository
  /** The signed manifest, as read for the SBOM step too (one read serves both). */
  manifest: Promise<FetchedManifest>
  tags: readonly string[]
  builder: {id: string; version: Record<string, string>}
  host?: HostBuildInputs
  env: Readonly<Record<string, string | undefined>>
}

export async function buildProvenance(client: RegistryClient, request: ProvenanceRequest): Promise<{predicate: Buffer; warnings: string[]}> {
  const labels = await imageLabels(client, request.repository, await request.manifest)
  const {predicate, warnings} = provenancePredicate({labels, tags: request.tags, builder: request.builder, host: request.host, env: request.env})
  return {predicate: Buffer.from(JSON.stringify(predicate)), warnings}
}

async function imageLabels(client: RegistryClient, repository: Repository, signed: FetchedManifest): Promise<Record<string, unknown>> {
  let manifest = signed
  if (isIndexMediaType(manifest.mediaType)) {
    const first = (manifest.json as ImageIndex).manifests?.[0]
    if (!first) return {}
    manifest = await client.getManifest(repository, first.digest)
  }

  const config = (manifest.json as ImageManifest).config
  if (!config?.digest) return {}
  const bytes = await client.getBlob(repository, config.digest, MAX_CONFIG_BYTES)
  let parsed: {config?: {Labels?: Record<string, unknown> | null}} | undefined
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch {
    parsed = undefined
  }

  if (typeof parsed !== 'object' || parsed === null) {
    throw new PluginError('SBOM_INVALID', `${repositoryName(repository)}@${manifest.digest}: its image config is not a JSON object, so its build labels cannot be read; push the image again, or set provenance = false`)
  }

  return parsed.config?.Labels ?? {}
}
