import {type Repository} from '../../reference/reference.js'
import {type RegistryClient} from '../../registry/client.js'
import {type ReferrersSource, listReferrers} from '../../registry/referrers.js'
import {MediaType} from '../../registry/media-types.js'
import {type ImageManifest} from '../../registry/types.js'
import {isCurrentBundle} from './media-types.js'
import {BundleAnnotation} from '../annotations.js'

// The Sigstore bundles attached to a digest as referrers (API or fallback tag): each referrer
// manifest whose artifactType is a v0.3+ bundle, and its bundle layer read and parsed. Nothing
// here is trusted yet: callers verify.

export interface BundleReferrer {
  /** Digest of the referrer manifest. */
  digest: string
  /** The manifest's (unsigned) predicate type annotation: a hint for filtering, not evidence. */
  predicateType?: string
  /** The parsed bundle JSON, or why it could not be read. */
  bundle?: unknown
  problem?: string
}

/** A referrers list longer than this is not something we were meant to read in full. */
export const MAX_BUNDLE_REFERRERS = 1000
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024

/**
 * cosign 2.5 (go-containerregistry 0.20) lists its bundle referrers in the fallback index under
 * the config's media type, the OCI empty type, not the bundle type: those are read too, and the
 * manifest's layer decides.
 */
export function mayBeBundle(artifactType: string | undefined): boolean {
  return artifactType === undefined || artifactType === MediaType.ociEmpty || isCurrentBundle(artifactType)
}

export async function readBundleReferrers(
  client: RegistryClient,
  repository: Repository,
  digest: string,
  options: {predicateType?: string} = {},
): Promise<{via: ReferrersSource; referrers: BundleReferrer[]}> {
  const list = await listReferrers(client, repository, digest)
  const candidates = list.manifests.filter((m) => mayBeBundle(m.artifactType)).slice(0, MAX_BUNDLE_REFERRERS)
  const referrers: BundleReferrer[] = []
  for (const candidate of candidates) {
    const indexed = candidate.annotations?.[BundleAnnotation.predicateType]
    // cosign's fallback entries carry no annotations: then only the manifest tells the type.
    if (options.predicateType && indexed !== undefined && indexed !== options.predicateType) continue
    const manifest = await client.findManifest(repository, candidate.digest)
    if (!manifest) continue
    const json = manifest.json as ImageManifest
    const predicateType = json.annotations?.[BundleAnnotation.predicateType]
    if (options.predicateType && predicateType !== options.predicateType) continue
    if (json.subject?.digest !== digest) continue
    const layer = (json.layers ?? []).find((l) => isCurrentBundle(l.mediaType))
    const base = {digest: candidate.digest, ...(predicateType ? {predicateType} : {})}
    if (!layer) {
      referrers.push({...base, problem: 'no bundle layer'})
      continue
    }

    if (layer.size > MAX_BUNDLE_BYTES) {
      referrers.push({...base, problem: `bundle layer of ${layer.size} bytes is over the ${MAX_BUNDLE_BYTES} limit`})
      continue
    }

    try {
      referrers.push({...base, bundle: JSON.parse((await client.getBlob(repository, layer.digest, MAX_BUNDLE_BYTES)).toString('utf8'))})
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error
      referrers.push({...base, problem: 'bundle layer is not JSON'})
    }
  }

  return {via: list.via, referrers}
}
