import {PluginError} from '../errors.js'
import {type Verifier} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type ImageManifest} from '../registry/types.js'
import {MAX_SIGNATURE_LAYERS} from './append-layer.js'
import {
  SIGNATURE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type SimpleSigningPayload,
  hasAnnotations,
  parseSimpleSigning,
} from './simple-signing.js'
import {cosignTag} from './tags.js'

/**
 * Reads the `.sig` image of a digest and keeps the signatures that verify with the key, sign this
 * digest, and carry the required annotations — cosign verify's checks for key-based signatures.
 */
export interface VerifyRequest {
  digest: string
  signatureRepository: Repository
  verifier: Verifier
  annotations: Record<string, string>
}

export interface VerifiedClassicSignature {
  format: 'classic'
  signatureTag: string
  layerDigest: string
  payload: SimpleSigningPayload
}

const MAX_PAYLOAD_BYTES = 1024 * 1024

export async function verifyClassicSignatures(client: RegistryClient, request: VerifyRequest): Promise<{verified: VerifiedClassicSignature[]; examined: number}> {
  const tag = cosignTag(request.digest, 'sig')
  const manifest = await client.findManifest(request.signatureRepository, tag)
  if (!manifest) return {verified: [], examined: 0}
  const layers = (manifest.json as ImageManifest).layers ?? []
  if (layers.length > MAX_SIGNATURE_LAYERS) {
    throw new PluginError('VERIFY_FAILED', `${repositoryName(request.signatureRepository)}:${tag} holds ${layers.length} layers, more than the ${MAX_SIGNATURE_LAYERS} verifiers accept`)
  }

  const verified: VerifiedClassicSignature[] = []
  let examined = 0
  for (const layer of layers) {
    const signature = layer.annotations?.[SIGNATURE_ANNOTATION]
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || !signature) continue
    examined++
    if (layer.size > MAX_PAYLOAD_BYTES) continue
    const payloadBytes = await client.getBlob(request.signatureRepository, layer.digest, MAX_PAYLOAD_BYTES)
    if (!request.verifier.verify(payloadBytes, Buffer.from(signature, 'base64'))) continue
    const payload = parseSimpleSigning(payloadBytes)
    if (!payload || payload.critical.image['docker-manifest-digest'] !== request.digest) continue
    if (!hasAnnotations(payload, request.annotations)) continue
    verified.push({format: 'classic', signatureTag: tag, layerDigest: layer.digest, payload})
  }

  return {verified, examined}
}
