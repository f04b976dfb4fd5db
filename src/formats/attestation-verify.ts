import {type Verifier} from '../keys/index.js'
import {type Repository} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type ImageManifest} from '../registry/types.js'
import {MAX_SIGNATURE_LAYERS} from './append-layer.js'
import {parseStatement, type InTotoStatement} from './bundle/statement.js'
import {DSSE_MEDIA_TYPE, parseEnvelope, verifiedPayload} from './dsse.js'
import {cosignTag} from './tags.js'

/**
 * cosign verify-attestation for the classic `.att` tag: DSSE envelopes that verify with the key,
 * whose statement names this digest, optionally of one predicate type.
 */
export interface VerifiedClassicAttestation {
  format: 'classic'
  predicateType: string
  statement: InTotoStatement
}

const MAX_ENVELOPE_BYTES = 512 * 1024 * 1024

export async function verifyClassicAttestations(
  client: RegistryClient,
  request: {digest: string; repository: Repository; verifier: Verifier; predicateType?: string},
): Promise<{verified: VerifiedClassicAttestation[]; examined: number}> {
  const manifest = await client.findManifest(request.repository, cosignTag(request.digest, 'att'))
  if (!manifest) return {verified: [], examined: 0}
  const layers = ((manifest.json as ImageManifest).layers ?? []).slice(0, MAX_SIGNATURE_LAYERS)
  const verified: VerifiedClassicAttestation[] = []
  let examined = 0
  for (const layer of layers) {
    if (layer.mediaType !== DSSE_MEDIA_TYPE) continue
    if (request.predicateType && layer.annotations?.predicateType !== request.predicateType) continue
    examined++
    const envelope = parseEnvelope(await client.getBlob(request.repository, layer.digest, MAX_ENVELOPE_BYTES))
    const payload = envelope && verifiedPayload(envelope, request.verifier)
    const statement = payload && parseStatement(payload)
    if (!statement) continue
    if (request.predicateType && statement.predicateType !== request.predicateType) continue
    if (!statement.subject.some((s) => `sha256:${s.digest.sha256}` === request.digest)) continue
    verified.push({format: 'classic', predicateType: statement.predicateType, statement})
  }

  return {verified, examined}
}

/** cosign's --type names (verify-attestation), or a predicate type URI as is. */
export function predicateTypeOf(type: string): string {
  const known: Record<string, string> = {
    cyclonedx: 'https://cyclonedx.org/bom',
    spdx: 'https://spdx.dev/Document',
    spdxjson: 'https://spdx.dev/Document',
    slsaprovenance: 'https://slsa.dev/provenance/v0.2',
    slsaprovenance1: 'https://slsa.dev/provenance/v1',
    custom: 'https://cosign.sigstore.dev/attestation/v1',
    syft: 'https://syft.dev/bom',
  }
  return known[type] ?? type
}
