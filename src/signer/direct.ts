import {PluginError, messageOf} from '../errors.js'
import {Publisher} from '../formats/publisher.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {mapLimit, settleLimit} from '../util/map-limit.js'
import {WorkSlots} from '../util/work-slots.js'
import {type ResolvedImage} from './resolve.js'
import {type SigningOptions, type Written, queueSignature} from './write-signature.js'

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
  // Tags of one digest in one repository make one signature (the payload names the repository,
  // not the tag): it is signed and written once, and reported for each name.
  const distinct = new Map<string, ResolvedImage>()
  for (const image of images) distinct.set(subjectKey(image), distinct.get(subjectKey(image)) ?? image)
  const publisher = new Publisher(client)
  const queued = new Map<string, Promise<Written[]>>()
  // Signed (and witnessed) first, a few at a time; a failure here is that image's alone.
  await mapLimit([...distinct.entries()], options.concurrency, async ([key, image]) => {
    const signatureRepository = options.repository ?? image.repository
    const descriptor = {mediaType: image.mediaType, digest: image.digest, size: image.size}
    const preparing = queueSignature(publisher, {imageRepository: image.repository, signatureRepository, descriptor}, options.annotations, options)
    const written = preparing.then((q) => q.written)
    written.catch(() => undefined) // settled below, per image
    queued.set(key, written)
    await preparing.catch(() => undefined)
  })

  // One write per signature tag (and per referrers index): at most `concurrency` at work, and one
  // waiting to read back its write lends its slot to the next (see WorkSlots).
  const slots = new WorkSlots(options.concurrency)
  const batches = publisher.batches()
  await settleLimit(batches, batches.length, (batch) => slots.run(() => batch.write()))
  const outcomes = await Promise.allSettled(images.map((image) => queued.get(subjectKey(image))!))
  const first = outcomes[0]
  // One image: its own error (auth, not found, ...) says more than "incomplete".
  if (images.length === 1 && first?.status === 'rejected') throw first.reason
  const failed = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [] : [`${images[i]!.name}: ${messageOf(o.reason)}`]))
  if (failed.length > 0) {
    const signed = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [`${repositoryName(images[i]!.repository)}@${images[i]!.digest}`] : []))
    const done = signed.length > 0 ? `; signed: ${signed.join(', ')}` : ''
    throw new PluginError('SIGNING_INCOMPLETE', `${failed.length} of ${images.length} images not signed: ${failed.join('; ')}${done}`)
  }

  return outcomes.flatMap((o, i) => (o as PromiseFulfilledResult<Written[]>).value.map((w) => signedImage(images[i]!, w)))
}

function subjectKey(image: ResolvedImage): string {
  return `${repositoryName(image.repository)}@${image.digest}`
}

function signedImage(image: ResolvedImage, w: Written): SignedImage {
  return {
    image: `${repositoryName(image.repository)}@${image.digest}`,
    digest: image.digest,
    format: w.format,
    signature: w.format === 'classic' ? `${w.repository}:${w.location}` : `${w.repository}@${w.location}`,
    manifestDigest: w.manifestDigest,
    appended: w.appended,
  }
}
