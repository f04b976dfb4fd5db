import {messageOf, PluginError} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type ImageManifest} from '../registry/types.js'
import {MAX_SIGNATURE_LAYERS} from '../formats/tag-writer.js'
import {SIMPLE_SIGNING_MEDIA_TYPE, type SimpleSigningPayload, hasAnnotations, parseSimpleSigning} from '../formats/simple-signing.js'
import {SIGNATURE_ANNOTATION} from '../formats/annotations.js'
import {cosignTag} from '../formats/tags.js'
import {mapLimit} from '../util/map-limit.js'

// Reads the `.sig` image of a digest and keeps the signatures that verify (with the key, or by
// their certificate and transparency-log entry), sign this digest, and carry the required
// annotations — cosign verify's checks.

export interface VerifyRequest {
  digest: string
  signatureRepository: Repository
  annotations: Record<string, string>
  /**
   * Checks one layer's signature: with the key, or its certificate, chain and log entry. Returns
   * what it learnt about the signer; throws (a PluginError saying why) when it does not verify.
   */
  check: (layer: {payload: Buffer; annotations: Record<string, string>}) => SignerInfo
}

export interface SignerInfo {
  /** Keyless: the certificate's identity. */
  identity?: {subjectAlternativeNames: string[]; issuer: string}
}

export interface VerifiedClassicSignature extends SignerInfo {
  format: 'classic'
  signatureTag: string
  layerDigest: string
  payload: SimpleSigningPayload
}

export interface ClassicVerifyResult {
  verified: VerifiedClassicSignature[]
  examined: number
  /** Why each signature that did not verify failed. */
  rejected: string[]
}

const MAX_PAYLOAD_BYTES = 1024 * 1024
const READ_AHEAD = 8

export async function verifyClassicSignatures(client: RegistryClient, request: VerifyRequest): Promise<ClassicVerifyResult> {
  const tag = cosignTag(request.digest, 'sig')
  const result: ClassicVerifyResult = {verified: [], examined: 0, rejected: []}
  const manifest = await client.findManifest(request.signatureRepository, tag)
  if (!manifest) return result
  const layers = (manifest.json as ImageManifest).layers ?? []
  if (layers.length > MAX_SIGNATURE_LAYERS) {
    throw new PluginError('VERIFY_FAILED', `${repositoryName(request.signatureRepository)}:${tag} holds ${layers.length} layers, more than the ${MAX_SIGNATURE_LAYERS} verifiers accept`)
  }

  const signatures = layers.filter((layer) => layer.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && layer.annotations?.[SIGNATURE_ANNOTATION])
  // Payloads are small: read them a few at a time, check them in layer order.
  const payloads = await mapLimit(signatures, READ_AHEAD, async (layer) => (layer.size > MAX_PAYLOAD_BYTES ? undefined : client.getBlob(request.signatureRepository, layer.digest, MAX_PAYLOAD_BYTES)))
  for (const [i, layer] of signatures.entries()) {
    const annotations = layer.annotations ?? {}
    result.examined++
    const payloadBytes = payloads[i]
    if (payloadBytes === undefined) {
      result.rejected.push(`a signature payload of ${layer.size} bytes is larger than the ${MAX_PAYLOAD_BYTES} bytes verify reads`)
      continue
    }

    let signer: SignerInfo
    try {
      signer = request.check({payload: payloadBytes, annotations})
    } catch (error) {
      result.rejected.push(messageOf(error))
      continue
    }

    const payload = parseSimpleSigning(payloadBytes)
    if (!payload) {
      result.rejected.push('a signed payload is not a cosign simple-signing payload')
      continue
    }

    // A valid signature for another image (its .sig copied here): cosign's words, and the digest.
    const signedDigest = payload.critical.image['docker-manifest-digest']
    if (signedDigest !== request.digest) {
      result.rejected.push(`invalid or missing digest in claim: a signature verified but signs ${JSON.stringify(String(signedDigest).slice(0, 80))}, not this image's digest (copied from another image's .sig?)`)
      continue
    }

    if (!hasAnnotations(payload, request.annotations)) continue
    result.verified.push({format: 'classic', signatureTag: tag, layerDigest: layer.digest, payload, ...(signer.identity ? {identity: signer.identity} : {})})
  }

  return result
}
