import {setImmediate} from 'node:timers/promises'

import {type Envelope} from '@sigstore/bundle'

import {type Signer, type Verifier, verifierFromPem} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {sha256Digest} from '../registry/digest.js'
import {type Descriptor} from '../registry/types.js'
import {findExistingLayer} from './existing-layer.js'
import {isBase64Of} from './base64-chunks.js'
import {DSSE_MEDIA_TYPE, EnvelopeChunks, envelopeParts, IN_TOTO_PAYLOAD_TYPE, paeHeader, parseEnvelope, verifiedPayload} from './dsse.js'
import {compactInto, compactPieces, compactedLength} from './json-compact.js'
import {sortedAnnotations} from './classic-signature.js'
import {SIGNATURE_ANNOTATION} from './annotations.js'
import {type ExistingEntry, type PreparedLayer} from './tag-writer.js'
import {cosignTag} from './tags.js'

/** docs/formats.md §2: an in-toto attestation in a DSSE envelope, appended to `sha256-<hex>.att`. */
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
  return signedStatement(statementParts(subjectName, digest, predicateType, predicate)).statement
}

/** The statement before it is laid out: what precedes the predicate, the predicate, the length. */
interface StatementParts {
  head: Buffer
  /** The document as given; the statement holds it compacted. */
  predicate: Buffer
  /** Bytes of the whole statement. */
  length: number
}

const CLOSING_BRACE = Buffer.from('}')

function statementParts(subjectName: string, digest: string, predicateType: string, predicate: Buffer): StatementParts {
  const subject = JSON.stringify([{name: subjectName, digest: {sha256: digest.replace(/^sha256:/, '')}}])
  const head = Buffer.from(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":${JSON.stringify(predicateType)},"subject":${subject},"predicate":`)
  return {head, predicate, length: head.length + compactedLength(predicate) + 1}
}

/** The statement's bytes in order, in pieces of about 1 MiB at most; never all of it at once. */
function* statementPieces(statement: StatementParts): Generator<Buffer> {
  yield statement.head
  yield* compactPieces(statement.predicate)
  yield CLOSING_BRACE
}

/**
 * The statement written directly behind its DSSE PAE header in one buffer: the SBOM is copied
 * once (compacted), and the PAE to sign and the statement to embed share those bytes.
 */
function signedStatement(parts: StatementParts): {pae: Buffer; statement: Buffer} {
  const header = paeHeader(IN_TOTO_PAYLOAD_TYPE, parts.length)
  const pae = Buffer.allocUnsafe(header.length + parts.length)
  header.copy(pae, 0)
  parts.head.copy(pae, header.length)
  const end = compactInto(parts.predicate, pae, header.length + parts.head.length)
  pae[end] = 0x7d // closing brace of the statement
  return {pae, statement: pae.subarray(header.length)}
}

/**
 * The DSSE envelope (`envelopeBytes`' exact bytes) as chunks. A signer that takes its message in
 * pieces signs the PAE while the statement is encoded, in one pass: neither the statement nor the
 * envelope exists in one piece, only the predicate the caller holds and the encoded chunks.
 * Otherwise (Ed25519 signs the whole message) the PAE is laid out whole first.
 */
async function signedEnvelope(signer: Signer, statement: StatementParts): Promise<Buffer[]> {
  const envelope = new EnvelopeChunks(IN_TOTO_PAYLOAD_TYPE)
  if (!signer.signPieces) {
    const {pae, statement: bytes} = signedStatement(statement)
    const signature = signer.sign(pae)
    envelope.update(bytes)
    return envelope.finish(await signature)
  }

  const message = signer.signPieces()
  message.update(paeHeader(IN_TOTO_PAYLOAD_TYPE, statement.length))
  let length = 0
  for (const piece of statementPieces(statement)) {
    message.update(piece)
    envelope.update(piece)
    length += piece.length
    await setImmediate() // a large SBOM takes a while: let other work run between pieces
  }

  // The PAE header announced `statement.length` bytes; anything else is a bug, never signed.
  if (length !== statement.length) throw new Error(`the statement is ${length} bytes, not the ${statement.length} its PAE header says`)
  return envelope.finish(await message.sign())
}

/** Whether `payload` is exactly the statement, compared piece by piece. */
function isStatement(payload: Buffer, statement: StatementParts): boolean {
  if (payload.length !== statement.length) return false
  let at = 0
  for (const piece of statementPieces(statement)) {
    if (!piece.equals(payload.subarray(at, at + piece.length))) return false
    at += piece.length
  }

  return true
}

function* paePieces(statement: StatementParts): Generator<Buffer> {
  yield paeHeader(IN_TOTO_PAYLOAD_TYPE, statement.length)
  yield* statementPieces(statement)
}

/**
 * Whether an existing envelope attests exactly this statement with a signature `verifier`
 * accepts. In our (and cosign's) layout, the payload is compared in its base64 form and the
 * signature checked over the PAE in pieces: a re-run's check of a large attestation decodes and
 * copies nothing. Any other layout is parsed whole.
 */
function attestsStatement(bytes: Buffer, statement: StatementParts, verifier: Verifier): boolean {
  const parts = verifier.verifyPieces && envelopeParts(bytes, IN_TOTO_PAYLOAD_TYPE)
  if (parts) {
    if (parts.payloadBase64.length !== Math.ceil(statement.length / 3) * 4) return false
    if (!isBase64Of(parts.payloadBase64, statementPieces(statement))) return false
    return parts.signatures.some((signature) => verifier.verifyPieces!(paePieces(statement), signature))
  }

  const parsed = parseEnvelope(bytes)
  const payload = parsed && verifiedPayload(parsed, verifier)
  return payload !== undefined && isStatement(payload, statement)
}

/** Room for any signature and field layout around the payload's base64 in an envelope. */
const ENVELOPE_SLACK_BYTES = 64 * 1024

export async function prepareAttestation(client: RegistryClient, request: AttestationRequest): Promise<PreparedLayer> {
  const statement = statementParts(repositoryName(request.imageRepository), request.digest, request.predicateType, request.predicate)
  const verifier = verifierFromPem(request.signer.publicKeyPem, 'the signing key')
  const encodedLength = Math.ceil(statement.length / 3) * 4
  // Envelopes carry fresh signatures, so a re-run never has the same layer digest; an existing
  // layer is ours when it attests this very statement and verifies with our key. Its annotations
  // and size rule most layers out before any download: an envelope is its payload's base64 plus
  // a few hundred bytes.
  const isEquivalent = async ({descriptor: existing, read}: ExistingEntry) => {
    if (existing.annotations?.predicateType !== request.predicateType) return false
    if (!(request.witness?.requires ?? []).every((name) => Boolean(existing.annotations?.[name]))) return false
    if (existing.size < encodedLength || existing.size > encodedLength + ENVELOPE_SLACK_BYTES) return false
    return attestsStatement(await read(existing.size), statement, verifier)
  }

  const tag = cosignTag(request.digest, 'att')
  if (request.witness?.findExisting) {
    const existing = await findExistingLayer(client, request.attestationRepository, tag, DSSE_MEDIA_TYPE, isEquivalent)
    if (existing) return {existing}
  }

  let envelope: Buffer[]
  let extra: Record<string, string> = {}
  if (request.witness) {
    const {pae, statement: bytes} = signedStatement(statement)
    const signature = await request.signer.sign(pae)
    const signed: Envelope = {payloadType: IN_TOTO_PAYLOAD_TYPE, payload: bytes, signatures: [{keyid: '', sig: signature}]}
    extra = await request.witness.annotations(signed)
    // Stored exactly as the witness uploads it (sigstore's JSON): a Rekor dsse entry records the
    // hash of the envelope as uploaded, and cosign compares that hash with the layer's bytes.
    const {envelopeToJSON} = await import('@sigstore/bundle')
    envelope = [Buffer.from(JSON.stringify(envelopeToJSON(signed)))]
  } else {
    envelope = await signedEnvelope(request.signer, statement)
  }

  const descriptor: Descriptor = {
    mediaType: DSSE_MEDIA_TYPE,
    size: envelope.reduce((total, chunk) => total + chunk.length, 0),
    digest: sha256Digest(envelope),
    annotations: sortedAnnotations({...extra, [SIGNATURE_ANNOTATION]: '', predicateType: request.predicateType}),
  }
  return {repository: request.attestationRepository, tag, layer: {content: envelope, descriptor, isEquivalent}, dockerMediaTypes: request.dockerMediaTypes}
}

