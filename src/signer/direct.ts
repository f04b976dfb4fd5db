import {PluginError, messageOf} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {settleLimit} from '../util/map-limit.js'
import {WorkSlots} from '../util/work-slots.js'
import {type ResolvedImage} from './resolve.js'
import {type SigningOptions, writeSignature} from './write-signature.js'

/** `sign IMAGE... --key` (or `--keyless`): one signature per resolved image, in the chosen format(s). */
export interface DirectSignOptions extends SigningOptions {
  annotations: Record<string, string>
  /** Signature repository override (cosign's COSIGN_REPOSITORY). */
  repository?: Repository
  concurrency: number
}

export interface SignedImage {
  image: string
  digest: string
  format: 'classic' | 'bundle'
  /** `repo:sha256-<hex>.sig` (classic) or `repo@<referrer digest>` (bundle). */
  signature: string
  manifestDigest: string
  /** False when this key's signature of this payload was already there. */
  appended: boolean
}

export async function signImages(client: RegistryClient, images: readonly ResolvedImage[], options: DirectSignOptions): Promise<SignedImage[]> {
  // Every image is under way at once, but at most `concurrency` of them at work: an image waiting
  // to read back its write lends its slot to the next (see WorkSlots).
  const slots = new WorkSlots(options.concurrency)
  const outcomes = await settleLimit(images, images.length, (image) => slots.run(async () => {
    const signatureRepository = options.repository ?? image.repository
    const descriptor = {mediaType: image.mediaType, digest: image.digest, size: image.size}
    const written = await writeSignature(client, {imageRepository: image.repository, signatureRepository, descriptor}, options.annotations, options)
    return written.map((w) => ({
      image: `${repositoryName(image.repository)}@${image.digest}`,
      digest: image.digest,
      format: w.format,
      signature: w.format === 'classic' ? `${w.repository}:${w.location}` : `${w.repository}@${w.location}`,
      manifestDigest: w.manifestDigest,
      appended: w.appended,
    }))
  }))
  const first = outcomes[0]
  // One image: its own error (auth, not found, ...) says more than "incomplete".
  if (images.length === 1 && first && !first.ok) throw first.error
  const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`${images[i]!.name}: ${messageOf(o.error)}`]))
  if (failed.length > 0) {
    const signed = outcomes.flatMap((o) => (o.ok ? [o.value[0]!.image] : []))
    const done = signed.length > 0 ? `; signed: ${signed.join(', ')}` : ''
    throw new PluginError('SIGNING_INCOMPLETE', `${failed.length} of ${images.length} images not signed: ${failed.join('; ')}${done}`)
  }

  return outcomes.flatMap((o) => (o as {ok: true; value: SignedImage[]}).value)
}
