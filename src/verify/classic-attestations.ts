import {messageOf} from '../errors.js'
import {type Repository} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type ImageManifest} from '../registry/types.js'
import {MAX_SIGNATURE_LAYERS} from '../formats/tag-writer.js'
import {parseStatement, type InTotoStatement} from '../formats/bundle/statement.js'
import {type SignerInfo} from './classic-signatures.js'
import {DSSE_MEDIA_TYPE} from '../formats/dsse.js'
import {cosignTag} from '../formats/tags.js'
import {mapLimit} from '../util/map-limit.js'

// cosign verify-attestation for the classic `.att` tag: DSSE envelopes that verify (with the key,
// or by their certificate and log entry), whose statement names this digest, optionally of one
// predicate type.

export interface VerifiedClassicAttestation extends SignerInfo {
  format: 'classic'
  predicateType: string
  statement: InTotoStatement
}

export interface AttestationVerifyRequest {
  digest: string
  repository: Repository
  predicateType?: string
  /**
   * Checks one layer's envelope (the blob as stored, and the layer's annotations): returns the
   * verified payload and what it learnt about the signer; throws (saying why) when it does not verify.
   */
  check: (layer: {envelope: Buffer; annotations: Record<string, string>}) => SignerInfo & {payload: Buffer}
}

const MAX_ENVELOPE_BYTES = 512 * 1024 * 1024
const READ_AHEAD = 6

export async function verifyClassicAttestations(
  client: RegistryClient,
  request: AttestationVerifyRequest,
): Promise<{verified: VerifiedClassicAttestation[]; examined: number; rejected: string[]}> {
  const manifest = await client.findManifest(request.repository, cosignTag(request.digest, 'att'))
  if (!manifest) return {verified: [], examined: 0, rejected: []}
  const layers = ((manifest.json as ImageManifest).layers ?? []).slice(0, MAX_SIGNATURE_LAYERS)
  const verified: VerifiedClassicAttestation[] = []
  const rejected: string[] = []
  const wanted = layers.filter((layer) => layer.mediaType === DSSE_MEDIA_TYPE && (!request.predicateType || layer.annotations?.predicateType === request.predicateType))
  // Read a few at a time (a release has one per SBOM document and key), checked in layer order.
  const envelopes = await mapLimit(wanted, READ_AHEAD, (layer) => client.getBlob(request.repository, layer.digest, MAX_ENVELOPE_BYTES).then((bytes) => ({bytes}), (error: unknown) => ({error})))
  const examined = wanted.length
  for (const [i, layer] of wanted.entries()) {
    const annotations = layer.annotations ?? {}
    let checked: SignerInfo & {payload: Buffer}
    try {
      const envelope = envelopes[i]!
      if ('error' in envelope) throw envelope.error
      checked = request.check({envelope: envelope.bytes, annotations})
    } catch (error) {
      rejected.push(messageOf(error))
      continue
    }

    const statement = parseStatement(checked.payload)
    if (!statement) continue
    if (request.predicateType && statement.predicateType !== request.predicateType) continue
    if (!statement.subject.some((s) => `sha256:${s.digest.sha256}` === request.digest)) continue
    verified.push({format: 'classic', predicateType: statement.predicateType, statement, ...(checked.identity ? {identity: checked.identity} : {})})
  }

  return {verified, examined, rejected}
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
