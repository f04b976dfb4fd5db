import {type Envelope} from '@sigstore/bundle'

import {type Signer, verifierFromPem} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {sha256Digest} from '../registry/digest.js'
import {type Descriptor} from '../registry/types.js'
import {type AppendResult, appendLayer} from './append-layer.js'
import {findExistingLayer} from './existing-layer.js'
import {DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, envelopeBytes, paeHeader, parseEnvelope, verifiedPayload} from './dsse.js'
import {compactInto, compactedLength} from './json-compact.js'
import {sortedAnnotations} from './classic-signature.js'
import {SIGNATURE_ANNOTATION} from './simple-signing.js'
import {cosignTag} from './tags.js'

/** FORMATS.md §2: an in-toto attestation in a DSSE envelope, appended to `sha256-<hex>.att`. */
export interface AttestationRequest {
  imageRepository: Repository
  digest: string
  attestationRepository: Repository
  predicateType: string
  /** The predicate document as JSON text (embedded as is, whitespace compacted). */
  predicate: Buffer
  signer: Signer
  dockerMediaTypes: boolean
  /** Keyless or logged attestations: the layer annotations cosign adds (certificate, chain, Rekor bundle). */
  witness?: AttestationWitness
}

export interface AttestationWitness {
  /** The extra layer annotations for the signed envelope (logging it if that is the witness's job). */
  annotations(envelope: Envelope): Promise<Record<string, string>>
  /** Annotations an existing layer must also carry to count as this attestation on a re-run. */
  requires?: readonly string[]
  /** Look for this attestation before signing and witnessing (a key's logged attestation: a re-run logs nothing new). */
  findExisting?: boolean
}

/** cosign's statement, in cosign's key order; v0.1 as cosign 2.x writes for SBOM predicates. */
export function inTotoStatement(subjectName: string, digest: string, predicateType: string, predicate: Buffer): Buffer {
  return signedStatement(subjectName, digest, predicateType, predicate).statement
}

/**
 * The statement written directly behind its DSSE PAE header in one buffer: the SBOM is copied
 * once (compacted), and the PAE to sign and the statement to embed share those bytes.
 */
function signedStatement(subjectName: string, digest: string, predicateType: string, predicate: Buffer): {pae: Buffer; statement: Buffer} {
  const subject = JSON.stringify([{name: subjectName, digest: {sha256: digest.replace(/^sha256:/, '')}}])
  const head = Buffer.from(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":${JSON.stringify(predicateType)},"subject":${subject},"predicate":`)
  const length = head.length + compactedLength(predicate) + 1
  const header = paeHeader(IN_TOTO_PAYLOAD_TYPE, length)
  const pae = Buffer.allocUnsafe(header.length + length)
  header.copy(pae, 0)
  head.copy(pae, header.length)
  const end = compactInto(predicate, pae, header.length + head.length)
  pae[end] = 0x7d // closing brace of the statement
  return {pae, statement: pae.subarray(header.length)}
}

export async function writeAttestation(client: RegistryClient, request: AttestationRequest): Promise<AppendResult> {
  const {pae, statement} = signedStatement(repositoryName(request.imageRepository), request.digest, request.predicateType, request.predicate)
  const verifier = verifierFromPem(request.signer.publicKeyPem, 'the signing key')
  // Envelopes carry fresh signatures, so a re-run never has the same layer digest; an existing
  // layer is ours when it attests this very statement and verifies with our key.
  const isDuplicate = async (existing: Descriptor, content: () => Promise<Buffer>) => {
    if (existing.annotations?.predicateType !== request.predicateType) return false
    if (!(request.witness?.requires ?? []).every((name) => Boolean(existing.annotations?.[name]))) return false
    const parsed = parseEnvelope(await content())
    const payload = parsed && verifiedPayload(parsed, verifier)
    return payload !== undefined && payload.equals(statement)
  }

  const tag = cosignTag(request.digest, 'att')
  if (request.witness?.findExisting) {
    const existing = await findExistingLayer(client, request.attestationRepository, tag, DSSE_MEDIA_TYPE, isDuplicate)
    if (existing) return existing
  }

  const signature = await request.signer.sign(pae)
  let envelope: Buffer
  let extra: Record<string, string> = {}
  if (request.witness) {
    const signed: Envelope = {payloadType: IN_TOTO_PAYLOAD_TYPE, payload: statement, signatures: [{keyid: '', sig: signature}]}
    extra = await request.witness.annotations(signed)
    // Stored exactly as the witness uploads it (sigstore's JSON): a Rekor dsse entry records the
    // hash of the envelope as uploaded, and cosign compares that hash with the layer's bytes.
    const {envelopeToJSON} = await import('@sigstore/bundle')
    envelope = Buffer.from(JSON.stringify(envelopeToJSON(signed)))
  } else {
    envelope = envelopeBytes(IN_TOTO_PAYLOAD_TYPE, statement, signature)
  }

  const layer: Descriptor = {
    mediaType: DSSE_MEDIA_TYPE,
    size: envelope.length,
    digest: sha256Digest(envelope),
    annotations: sortedAnnotations({...extra, [SIGNATURE_ANNOTATION]: '', predicateType: request.predicateType}),
  }
  return appendLayer(client, request.attestationRepository, tag, {content: envelope, descriptor: layer}, {
    dockerMediaTypes: request.dockerMediaTypes,
    isDuplicate,
  })
}
