import {verifierFromPem} from '../keys/index.js'
import {type Signer} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {sha256Digest} from '../registry/digest.js'
import {type Descriptor} from '../registry/types.js'
import {type AppendResult, appendLayer} from './append-layer.js'
import {SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload} from './simple-signing.js'
import {cosignTag} from './tags.js'

/** FORMATS.md §1: a classic cosign signature, appended to the `sha256-<hex>.sig` image. */
export interface ClassicSignatureRequest {
  /** The repository the signed image lives in (its name goes into docker-reference). */
  imageRepository: Repository
  digest: string
  /** Where `.sig` goes: the image's repository, or the override (cosign's COSIGN_REPOSITORY). */
  signatureRepository: Repository
  signer: Signer
  annotations: Record<string, string>
  dockerMediaTypes: boolean
}

export async function writeClassicSignature(client: RegistryClient, request: ClassicSignatureRequest): Promise<AppendResult> {
  const payload = simpleSigningPayload(repositoryName(request.imageRepository), request.digest, request.annotations)
  const payloadDigest = sha256Digest(payload)
  const verifier = verifierFromPem(request.signer.publicKeyPem, 'the signing key')
  // Like cosign: an existing layer with this exact payload whose signature verifies with our key
  // already is our signature; signing again would only add a duplicate.
  const isDuplicate = async (existing: Descriptor) => {
    const signature = existing.annotations?.[SIGNATURE_ANNOTATION]
    return existing.digest === payloadDigest && signature !== undefined && verifier.verify(payload, Buffer.from(signature, 'base64'))
  }

  const signature = await request.signer.sign(payload)
  const layer: Descriptor = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: payloadDigest,
    annotations: {[SIGNATURE_ANNOTATION]: signature.toString('base64')},
  }
  return appendLayer(client, request.signatureRepository, cosignTag(request.digest, 'sig'), {content: payload, descriptor: layer}, {
    dockerMediaTypes: request.dockerMediaTypes,
    isDuplicate,
  })
}
