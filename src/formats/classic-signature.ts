import {type Signer, type Verifier, verifierFromPem} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {sha256Digest} from '../registry/digest.js'
import {type Descriptor} from '../registry/types.js'
import {findExistingLayer} from './existing-layer.js'
import {SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload} from './simple-signing.js'
import {SIGNATURE_ANNOTATION} from './annotations.js'
import {type PreparedLayer} from './tag-writer.js'
import {cosignTag} from './tags.js'

/** docs/formats.md §1: a classic cosign signature, appended to the `sha256-<hex>.sig` image. */
export interface ClassicSignatureRequest {
  /** The repository the signed image lives in (its name goes into docker-reference). */
  imageRepository: Repository
  digest: string
  /** Where `.sig` goes: the image's repository, or the override (cosign's COSIGN_REPOSITORY). */
  signatureRepository: Repository
  signer: Signer
  annotations: Record<string, string>
  dockerMediaTypes: boolean
  /** Keyless or logged signatures: the layer annotations cosign adds next to the signature. */
  witness?: ClassicWitness
}

/**
 * The extra annotations of a witnessed signature, computed from the payload and its signature:
 * cosign's certificate and chain (keyless), Rekor bundle (logged) and RFC 3161 timestamp.
 */
export interface ClassicWitness {
  annotations(payload: Buffer, signature: Buffer): Promise<Record<string, string>>
  /** Annotations an existing layer must also carry to count as this signature on a re-run (e.g. the Rekor bundle when logging). */
  requires?: readonly string[]
  /** Look for this signature before signing and witnessing (a key's logged signature: a re-run logs nothing new). */
  findExisting?: boolean
}

export async function prepareClassicSignature(client: RegistryClient, request: ClassicSignatureRequest): Promise<PreparedLayer> {
  const payload = simpleSigningPayload(repositoryName(request.imageRepository), request.digest, request.annotations)
  const payloadDigest = sha256Digest(payload)
  // Parsed only when there is an existing layer to check (a fresh tag has none).
  let verifier: Verifier | undefined
  const verify = (data: Buffer, signature: Buffer) => (verifier ??= verifierFromPem(request.signer.publicKeyPem, 'the signing key')).verify(data, signature)
  // Like cosign: an existing layer with this exact payload whose signature verifies with our key
  // already is our signature; signing again would only add a duplicate. Nothing to download: the
  // layer's digest is the payload's, and the signature is an annotation.
  const isEquivalent = async ({descriptor: existing}: {descriptor: Descriptor}) => {
    const signature = existing.annotations?.[SIGNATURE_ANNOTATION]
    const witnessed = (request.witness?.requires ?? []).every((name) => Boolean(existing.annotations?.[name]))
    return existing.digest === payloadDigest && signature !== undefined && witnessed && verify(payload, Buffer.from(signature, 'base64'))
  }

  const tag = cosignTag(request.digest, 'sig')
  if (request.witness?.findExisting) {
    const existing = await findExistingLayer(client, request.signatureRepository, tag, SIMPLE_SIGNING_MEDIA_TYPE, isEquivalent)
    if (existing) return {existing}
  }

  const signature = await request.signer.sign(payload)
  const extra = request.witness ? await request.witness.annotations(payload, signature) : {}
  const descriptor: Descriptor = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: payloadDigest,
    annotations: sortedAnnotations({...extra, [SIGNATURE_ANNOTATION]: signature.toString('base64')}),
  }
  return {repository: request.signatureRepository, tag, layer: {content: payload, descriptor, isEquivalent}, dockerMediaTypes: request.dockerMediaTypes}
}

/** cosign writes layer annotations from a Go map: sorted by name. */
export function sortedAnnotations(annotations: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
