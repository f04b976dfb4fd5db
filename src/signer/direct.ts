import {PluginError, messageOf} from '../errors.js'
import {writeClassicSignature} from '../formats/classic-signature.js'
import {type Signer} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {settleLimit} from '../util/map-limit.js'
import {type ResolvedImage} from './resolve.js'

/** `sign IMAGE... --key`: one classic signature per resolved image. */
export interface DirectSignOptions {
  signer: Signer
  annotations: Record<string, string>
  /** Signature repository override (cosign's COSIGN_REPOSITORY). */
  repository?: Repository
  dockerMediaTypes: boolean
  concurrency: number
}

export interface SignedImage {
  image: string
  digest: string
  signature: string
  manifestDigest: string
  /** False when this key's signature of this payload was already there. */
  appended: boolean
}

export async function signImages(client: RegistryClient, images: readonly ResolvedImage[], options: DirectSignOptions): Promise<SignedImage[]> {
  const outcomes = await settleLimit(images, options.concurrency, async (image) => {
    const signatureRepository = options.repository ?? image.repository
    const result = await writeClassicSignature(client, {
      imageRepository: image.repository,
      digest: image.digest,
      signatureRepository,
      signer: options.signer,
      annotations: options.annotations,
      dockerMediaTypes: options.dockerMediaTypes,
    })
    return {
      image: `${repositoryName(image.repository)}@${image.digest}`,
      digest: image.digest,
      signature: `${repositoryName(result.repository)}:${result.tag}`,
      manifestDigest: result.manifestDigest,
      appended: result.appended,
    }
  })
  const first = outcomes[0]
  // One image: its own error (auth, not found, ...) says more than "incomplete".
  if (images.length === 1 && first && !first.ok) throw first.error
  const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`${images[i]!.name}: ${messageOf(o.error)}`]))
  if (failed.length > 0) {
    const signed = outcomes.flatMap((o) => (o.ok ? [o.value.image] : []))
    const done = signed.length > 0 ? `; signed: ${signed.join(', ')}` : ''
    throw new PluginError('SIGNING_INCOMPLETE', `${failed.length} of ${images.length} images not signed: ${failed.join('; ')}${done}`)
  }

  return outcomes.map((o) => (o as {ok: true; value: SignedImage}).value)
}
