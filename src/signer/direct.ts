import {messageOf} from '../errors.js'
import {Publisher} from '../formats/publisher.js'
import {isUnconfirmedWrite} from '../formats/tag-writer.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {mapLimit} from '../util/map-limit.js'
import {WorkSlots} from '../util/work-slots.js'
import {type ResolvedImage} from './resolve.js'
import {type SigningOptions, type Written, queueSignature} from './write-signature.js'

/** `sign IMAGE... --key` (or `--keyless`): one signature per resolved image, in the chosen format(s). */
export interface DirectSignOptions extends SigningOptions {
  annotations: Record<string, string>
  /** Signature repository override (cosign's COSIGN_REPOSITORY). */
  repository?: Repository
  concurrency: number
  /** Aborted: nothing more is started; what is under way finishes. */
  signal?: AbortSignal
  /** Each image's outcome, as soon as it is known (images sharing a digest arrive together). */
  onOutcome?: (outcome: ImageOutcome) => void
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

/**
 * What became of one image: `signed` (ours is there now, or was already), `unconfirmed` (written,
 * but the read-back did not come back: probably there, a re-run confirms), `failed` (not signed,
 * with the cause), `not-started` (the run was interrupted before this image's write).
 */
export interface ImageOutcome {
  /** As the user named it. */
  name: string
  subject: string
  status: 'signed' | 'unconfirmed' | 'failed' | 'not-started'
  signatures: SignedImage[]
  cause?: string
  /** The failure itself (its code and exit code), when not signed. */
  error?: unknown
}

export class NotStarted extends Error {
  constructor() {
    super('not started: the run was interrupted')
  }
}

export async function signImages(client: RegistryClient, images: readonly ResolvedImage[], options: DirectSignOptions): Promise<ImageOutcome[]> {
  // Tags of one digest in one repository make one signature (the payload names the repository,
  // not the tag): it is signed and written once, and reported for each name.
  const distinct = new Map<string, ResolvedImage>()
  for (const image of images) distinct.set(subjectKey(image), distinct.get(subjectKey(image)) ?? image)
  const publisher = new Publisher(client)
  const queued = new Map<string, Promise<Written[]>>()
  const outcomes = new Array<ImageOutcome>(images.length)
  const report = (key: string, settled: {ok: true; written: Written[]} | {ok: false; error: unknown}) => {
    images.forEach((image, i) => {
      if (subjectKey(image) !== key) return
      outcomes[i] = outcomeOf(image, settled)
      options.onOutcome?.(outcomes[i]!)
    })
  }

  // Signed (and witnessed) first, a few at a time; a failure here is that image's alone.
  await mapLimit([...distinct.entries()], options.concurrency, async ([key, image]) => {
    const preparing = options.signal?.aborted ? Promise.reject(new NotStarted()) : queueSignature(publisher, subjectOf(image, options), options.annotations, options)
    const written = preparing.then((q) => q.written)
    written.then(
      (w) => report(key, {ok: true, written: w}),
      (error: unknown) => report(key, {ok: false, error}),
    )
    queued.set(key, written)
    await preparing.catch(() => undefined)
  })

  // One write per signature tag (and per referrers index): the slots keep `concurrency` at work,
  // and one waiting to read back its write lends its slot to the next (see WorkSlots).
  const slots = new WorkSlots(options.concurrency)
  await Promise.allSettled(publisher.batches().map((batch) => slots.run(() => (options.signal?.aborted ? batch.abandon(new NotStarted()) : batch.write()))))
  await Promise.allSettled(queued.values())
  return outcomes
}

function subjectOf(image: ResolvedImage, options: DirectSignOptions) {
  const signatureRepository = options.repository ?? image.repository
  return {imageRepository: image.repository, signatureRepository, descriptor: {mediaType: image.mediaType, digest: image.digest, size: image.size}}
}

function outcomeOf(image: ResolvedImage, settled: {ok: true; written: Written[]} | {ok: false; error: unknown}): ImageOutcome {
  const base = {name: image.name, subject: subjectKey(image)}
  if (settled.ok) return {...base, status: 'signed', signatures: settled.written.map((w) => signedImage(image, w))}
  const status = settled.error instanceof NotStarted ? 'not-started' : isUnconfirmedWrite(settled.error) ? 'unconfirmed' : 'failed'
  return {...base, status, signatures: [], cause: messageOf(settled.error), error: settled.error}
}

/**
 * The run's end: the signatures when every image is signed; otherwise one error whose message
 * counts what was not done, with `causes` (one line per distinct cause) and each image's status.
 */
export function incompleteRun(outcomes: readonly ImageOutcome[]): {message: string; causes: string[]} | undefined {
  const open = outcomes.filter((o) => o.status !== 'signed')
  if (open.length === 0) return undefined
  const count = (status: ImageOutcome['status']) => open.filter((o) => o.status === status).length
  const parts = [
    count('failed') && `${count('failed')} not signed`,
    count('unconfirmed') && `${count('unconfirmed')} written but not confirmed`,
    count('not-started') && `${count('not-started')} not started`,
  ].filter(Boolean)
  const message = `${outcomes.length - open.length} of ${outcomes.length} images signed; ${parts.join(', ')}: run the same command again to finish (nothing is added twice)`
  return {message, causes: groupCauses(open)}
}

/** One line per distinct cause (digests and cosign tags set aside), with a count and the first images. */
function groupCauses(open: readonly ImageOutcome[]): string[] {
  const groups = new Map<string, ImageOutcome[]>()
  for (const outcome of open) {
    const label = outcome.status === 'unconfirmed' ? 'written but not confirmed' : outcome.status === 'not-started' ? 'not started' : 'not signed'
    // The image's own name and digests differ from one image to the next; the cause does not.
    const repository = outcome.subject.slice(0, outcome.subject.lastIndexOf('@'))
    const cause = `${label}: ${(outcome.cause ?? '').replaceAll(repository, '<image>').replace(/sha256[:-][0-9a-f]{64}(\.(sig|att|sbom))?/g, '…')}`
    groups.set(cause, [...(groups.get(cause) ?? []), outcome])
  }

  const FIRST = 3
  return [...groups].map(([cause, members]) => {
    const names = members.slice(0, FIRST).map((m) => m.name).join(', ')
    const more = members.length > FIRST ? `, and ${members.length - FIRST} more` : ''
    return `${cause} (${members.length} image${members.length === 1 ? '' : 's'}: ${names}${more})`
  })
}

/** Each image's status as `--json` shows it. */
export function outcomeJson({error: _error, ...outcome}: ImageOutcome): Omit<ImageOutcome, 'error'> {
  void _error
  return outcome
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
