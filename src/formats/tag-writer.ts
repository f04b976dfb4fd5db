import {PluginError} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type RequestBody, bodyLength} from '../http/http.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type RegistryResponseError, isImmutableTagRefusal, isTransientBlobRace} from '../registry/registry-error.js'
import {push} from '../registry/scope.js'
import {type Descriptor, type ImageManifest} from '../registry/types.js'
import {KeyedLock} from '../util/keyed-lock.js'
import {mapLimit} from '../util/map-limit.js'
import {readBackDelay} from '../util/read-back.js'
import {retry} from '../util/retry.js'
import {pauseWork} from '../util/work-slots.js'
import {buildSignatureImage} from './signature-image.js'

// Writes entries (layers) to a cosign tag (`.sig`, `.att`) in one cycle, however many there are:
// one read, one merge, the new blobs uploaded in parallel, one manifest PUT, one read-back.
//
// One TagWriter per run: it remembers what the run learnt (tags it has seen, what existing entries
// are), so a read-back or a second tag never asks the registry the same thing twice.

export const MAX_SIGNATURE_LAYERS = 1000
const MAX_WRITE_ATTEMPTS = 8
/** Layers up to this size go up before the tag is read; larger ones only once they are needed. */
const EARLY_UPLOAD_BYTES = 1024 * 1024
/** As many as the connection pool holds (http.ts: 16 sockets per registry). */
const PARALLEL_UPLOADS = 16
const PARALLEL_READS = 8
const KEPT_BLOB_BYTES = 1024 * 1024

export interface PendingLayer {
  /** The blob, whole or as its chunks in order (a large envelope). */
  content: RequestBody
  descriptor: Descriptor
  /**
   * Whether an existing entry stands for this one: the same payload, signed by the same key
   * (ECDSA signatures differ on every run, so their bytes never match). `existing.read` fetches
   * the entry's blob, verified; small blobs once per run.
   */
  isEquivalent(existing: ExistingEntry): Promise<boolean>
}

export interface ExistingEntry {
  descriptor: Descriptor
  read(maxBytes: number): Promise<Buffer>
}

export interface AppendResult {
  repository: Repository
  tag: string
  manifestDigest: string
  /** False when an equivalent entry was already there (re-runs add nothing). */
  appended: boolean
}

/** An entry ready to be written to its tag, or the equivalent one found already there. */
export type PreparedLayer =
  | {existing: AppendResult}
  | {repository: Repository; tag: string; layer: PendingLayer; dockerMediaTypes: boolean}

export interface TagWriteOptions {
  dockerMediaTypes: boolean
}

export class TagWriter {
  private readonly locks = new KeyedLock()
  /** Tags this run has read or written: their config is not guessed to be a fresh tag's. */
  private readonly knownTags = new Set<string>()
  /** Small blobs of existing entries, read once per run: blobs never change. */
  private readonly blobs = new Map<string, Promise<Buffer>>()

  constructor(readonly client: RegistryClient) {}

  /** Adds every entry to the tag (those not already there) and returns one result per entry, in order. */
  append(repository: Repository, tag: string, entries: readonly PendingLayer[], options: TagWriteOptions): Promise<AppendResult[]> {
    const where = `${repositoryName(repository)}:${tag}`
    return this.locks.run(where, () => new TagCycle(this, repository, tag, where, entries, options).run())
  }

  /** @internal for TagCycle */
  knows(where: string): boolean {
    return this.knownTags.has(where)
  }

  /** @internal for TagCycle */
  learn(where: string): void {
    this.knownTags.add(where)
  }

  /** @internal for TagCycle */
  holdsBlob(repository: Repository, descriptor: Descriptor): boolean {
    return this.blobs.has(`${repositoryName(repository)}@${descriptor.digest}`)
  }

  /** @internal for TagCycle: an existing entry's blob, kept for the run when small. */
  readBlob(repository: Repository, descriptor: Descriptor, maxBytes: number): Promise<Buffer> {
    if (descriptor.size > KEPT_BLOB_BYTES) return this.client.getBlob(repository, descriptor.digest, maxBytes)
    const key = `${repositoryName(repository)}@${descriptor.digest}`
    let blob = this.blobs.get(key)
    if (!blob) {
      blob = this.client.getBlob(repository, descriptor.digest, maxBytes)
      this.blobs.set(key, blob)
      // A failed read is not an answer: the next cycle asks again.
      blob.catch(() => this.blobs.delete(key))
    }

    return blob
  }
}

const unconfirmed = new WeakSet<object>()

/** Whether a failed write had already put its manifest, so its entries are probably there (a re-run confirms). */
export function isUnconfirmedWrite(error: unknown): boolean {
  return typeof error === 'object' && error !== null && unconfirmed.has(error)
}

interface EntryState {
  entry: PendingLayer
  uploaded: boolean
  /** The present entry that stands for ours after the latest read (ours, or an equivalent). */
  match?: Descriptor
}

/**
 * One tag's read-merge-write-confirm loop. Registries have no compare-and-swap on tags, so every
 * entry seen at any read is kept (a writer that raced us may have dropped some, and we put them
 * back), and the write is read back after a pause sized like another writer's read-to-write.
 * Entries equivalent to one of ours are the exception: of those, one is kept (the least by
 * identity, which every writer with this key picks alike), so racing runs of one key converge on
 * one entry instead of one each.
 */
class TagCycle {
  private readonly seen = new Map<string, Descriptor>()
  private readonly states: EntryState[]
  /** identity(existing) + '#' + index of our entry → equivalent? */
  private readonly equivalence = new Map<string, Promise<boolean>>()
  private wrote = false
  private lastWritten?: string
  private configUploaded?: string

  constructor(
    private readonly writer: TagWriter,
    private readonly repository: Repository,
    private readonly tag: string,
    private readonly where: string,
    entries: readonly PendingLayer[],
    private readonly options: TagWriteOptions,
  ) {
    this.states = entries.map((entry) => ({entry, uploaded: false}))
  }

  private get client(): RegistryClient {
    return this.writer.client
  }

  async run(): Promise<AppendResult[]> {
    try {
      return await this.cycle()
    } catch (error) {
      // Our manifest went out but was not read back: the entries are most likely there.
      if (this.wrote && typeof error === 'object' && error !== null) unconfirmed.add(error)
      throw error
    }
  }

  private async cycle(): Promise<AppendResult[]> {
    if (this.states.length === 0) return []
    await this.uploadEarly()
    let confirmations = 0
    let readAt = Date.now()
    let rounds = 0
    const started = Date.now()
    // Rounds of optimistic concurrency, not retries of a failure: the requests inside keep their
    // full timeout, and the operation's deadline ends the rounds (util/retry.ts).
    const outcome = await retry<AppendResult[] | 'again'>(
      async (attempt) => {
        rounds = attempt.number
        readAt = Date.now()
        let current = await this.read()
        let plan = await this.plan(current.layers)
        if (plan.fetched && plan.layers !== undefined) {
          // Reading other entries' content took time in which others may have written: take a
          // fresh base just before writing, so the read-to-write window stays short.
          readAt = Date.now()
          current = await this.read()
          plan = await this.plan(current.layers)
        }

        if (plan.layers === undefined) {
          // Unchanged since our own write (or nothing to write): nobody raced us. Changed by another
          // writer who kept our entries: others are active, so confirm once more after a pause.
          const settled = !this.wrote || current.digest === this.lastWritten || ++confirmations >= 2
          return settled ? this.results(current.digest!) : 'again'
        }

        await this.write(plan.layers)
        return 'again'
      },
      {
        kind: 'rounds',
        attempts: MAX_WRITE_ATTEMPTS,
        deadline: this.client.operationDeadline('rounds'),
        retryResult: (result) => result === 'again',
        // distribution rewrites a blob's link file in place when the same blob is uploaded twice at
        // once, and a concurrent manifest PUT can then see it as unknown: a transient, another round.
        retryError: isTransientBlobRace,
        // A writer that read before our PUT finishes within about the time a read-to-write takes
        // on this registry under this load; wait that out with margin, then read back.
        delay: (round) => readBackDelay(Date.now() - readAt, round),
        pause: pauseWork,
      },
    )
    if (outcome !== 'again') return outcome
    throw new PluginError('REGISTRY_ERROR', `${this.where}: other writers kept replacing it; gave up after ${rounds} attempts in ${Math.round((Date.now() - started) / 1000)} s — run again (nothing already there was removed)`)
  }

  /**
   * Small layers, and the config a fresh tag would get (unless this run has seen the tag), go up
   * before the first read: the read-to-write window then holds only the read and the PUT.
   */
  private async uploadEarly(): Promise<void> {
    const small = this.states.filter((s) => bodyLength(s.entry.content) <= EARLY_UPLOAD_BYTES)
    const guess = this.writer.knows(this.where) ? undefined : buildSignatureImage(this.states.map((s) => s.entry.descriptor), this.options.dockerMediaTypes)
    await Promise.all([
      this.upload(small),
      guess && this.client.uploadBlob(this.repository, guess.config, guess.configDescriptor.mediaType).then(() => (this.configUploaded = guess.configDescriptor.digest)),
    ])
  }

  private async upload(states: EntryState[]): Promise<void> {
    await mapLimit(states.filter((s) => !s.uploaded), PARALLEL_UPLOADS, async (state) => {
      await this.client.uploadBlob(this.repository, state.entry.content, state.entry.descriptor.mediaType)
      state.uploaded = true
    })
  }

  private async read(): Promise<{digest?: string; layers: Descriptor[]}> {
    const existing = await this.client.findManifest(this.repository, this.tag, push(this.repository))
    if (!existing) return {layers: []}
    this.writer.learn(this.where)
    const layers = (existing.json as ImageManifest).layers
    if (isIndexMediaType(existing.mediaType) || !Array.isArray(layers)) {
      throw new PluginError('REGISTRY_ERROR', `${this.where} is not an image manifest; cosign tags must hold one (remove or retag it)`)
    }

    if (layers.length > MAX_SIGNATURE_LAYERS) {
      throw new PluginError('REGISTRY_ERROR', `${this.where} already holds ${layers.length} layers; verifiers refuse more than ${MAX_SIGNATURE_LAYERS}`)
    }

    for (const entry of layers) if (!this.seen.has(identity(entry))) this.seen.set(identity(entry), entry)
    return {digest: existing.digest, layers}
  }

  /**
   * What to write after a read: undefined layers when every entry of ours is stood for and
   * nothing seen is missing. `fetched` when deciding needed blobs of other entries.
   */
  private async plan(present: Descriptor[]): Promise<{layers?: Descriptor[]; fetched: boolean}> {
    const fetched = {count: 0}
    // Per entry of ours, the present entries that stand for it. When ours is among them next to
    // copies of the same shape (a racing run with this key), the least by identity is kept.
    const redundant = new Set<string>()
    // Our own entries are what they are: never fetched to see whether they stand for another.
    const ours = new Set(this.states.map((s) => identity(s.entry.descriptor)))
    for (const [index, state] of this.states.entries()) {
      const own = identity(state.entry.descriptor)
      const equivalents: Descriptor[] = []
      await mapLimit(present, PARALLEL_READS, async (candidate) => {
        const id = identity(candidate)
        if (id === own || (!ours.has(id) && (await this.isEquivalent(candidate, index, fetched)))) equivalents.push(candidate)
      })
      equivalents.sort((a, b) => compare(identity(a), identity(b)))
      const copies = equivalents.filter((e) => sameShape(e, state.entry.descriptor))
      if (copies.some((e) => identity(e) === own)) {
        state.match = copies[0]
        for (const extra of copies.slice(1)) redundant.add(identity(extra))
      } else {
        state.match = equivalents[0]
      }
    }

    const presentIds = new Set(present.map(identity))
    const missing: Descriptor[] = []
    for (const entry of this.seen.values()) {
      if (presentIds.has(identity(entry))) continue
      // An entry standing for one of ours that is gone: another writer with this key kept its own
      // copy instead, or we dropped it as redundant. Either way one copy is there.
      if (await this.standsForOurs(entry, fetched)) continue
      missing.push(entry)
    }

    const unmatched = this.states.filter((s) => !s.match)
    if (unmatched.length === 0 && missing.length === 0 && redundant.size === 0) return {fetched: fetched.count > 0}
    const layers = uniqueByIdentity([...present.filter((l) => !redundant.has(identity(l))), ...missing, ...unmatched.map((s) => s.entry.descriptor)])
    if (layers.length > MAX_SIGNATURE_LAYERS) {
      throw new PluginError('REGISTRY_ERROR', `${this.where} would hold ${layers.length} layers; verifiers refuse more than ${MAX_SIGNATURE_LAYERS}`)
    }

    return {layers, fetched: fetched.count > 0}
  }

  private async standsForOurs(entry: Descriptor, fetched: {count: number}): Promise<boolean> {
    const id = identity(entry)
    for (const [index, state] of this.states.entries()) {
      if (!state.match || !sameShape(entry, state.entry.descriptor)) continue
      if (id === identity(state.entry.descriptor)) return true
      if (!this.states.some((s) => identity(s.entry.descriptor) === id) && (await this.isEquivalent(entry, index, fetched))) return true
    }

    return false
  }

  private isEquivalent(candidate: Descriptor, index: number, fetched: {count: number}): Promise<boolean> {
    const key = `${identity(candidate)}#${index}`
    let answer = this.equivalence.get(key)
    if (!answer) {
      const state = this.states[index]!
      answer = state.entry.isEquivalent({
        descriptor: candidate,
        read: (maxBytes) => {
          if (!this.writer.holdsBlob(this.repository, candidate)) fetched.count++
          return this.writer.readBlob(this.repository, candidate, maxBytes)
        },
      })
      this.equivalence.set(key, answer)
    }

    return answer
  }

  private async write(layers: Descriptor[]): Promise<void> {
    const image = buildSignatureImage(layers, this.options.dockerMediaTypes)
    const needed = new Set(layers.map(identity))
    // Read or written before: this PUT replaces the tag, which tag immutability forbids.
    const existed = this.writer.knows(this.where)
    try {
      await Promise.all([
        this.upload(this.states.filter((s) => needed.has(identity(s.entry.descriptor)))),
        image.configDescriptor.digest !== this.configUploaded && this.client.uploadBlob(this.repository, image.config, image.configDescriptor.mediaType),
      ])
      this.lastWritten = (await this.client.putManifest(this.repository, this.tag, image.manifest, image.manifestMediaType)).digest
      this.wrote = true
      this.writer.learn(this.where)
    } catch (error) {
      if (existed && isImmutableTagRefusal(error)) throw immutableTagError(this.where, error)
      throw error
    }
  }

  private results(manifestDigest: string): AppendResult[] {
    return this.states.map((state) => ({
      repository: this.repository,
      tag: this.tag,
      manifestDigest,
      // Ours is what stands, and we put it there (a racing writer's equivalent is "already there").
      appended: this.wrote && state.match !== undefined && identity(state.match) === identity(state.entry.descriptor),
    }))
  }
}

/** Harbor's and ECR's tag immutability refusing the second PUT of a `.sig`/`.att` tag: what to do instead. */
function immutableTagError(where: string, error: RegistryResponseError): PluginError {
  const said = error.diagnostics ? `, ${error.diagnostics}` : ''
  return new PluginError(
    'REGISTRY_ERROR',
    `${where} is immutable: the registry refused to replace the existing tag (HTTP ${error.status}${said}); the classic format adds every signature to this one tag, while format = "bundle" in cosign.toml (--format bundle for sign IMAGE...) writes each signature as its own manifest; or exempt the sha256-*.sig and sha256-*.att tags from the registry's immutability rule`,
    {cause: error},
  )
}

function uniqueByIdentity(layers: Descriptor[]): Descriptor[] {
  const kept = new Map<string, Descriptor>()
  for (const entry of layers) if (!kept.has(identity(entry))) kept.set(identity(entry), entry)
  return [...kept.values()]
}

/** A layer entry is the same entry when digest, media type and annotations are. */
export function identity(descriptor: Descriptor): string {
  const annotations = Object.entries(descriptor.annotations ?? {}).sort(([a], [b]) => compare(a, b))
  return JSON.stringify([descriptor.digest, descriptor.mediaType, annotations])
}

/** Entries carrying the same annotations (by name): one is a plain copy of the other. */
function sameShape(a: Descriptor, b: Descriptor): boolean {
  const names = (d: Descriptor) => Object.keys(d.annotations ?? {}).sort(compare).join('\n')
  return a.mediaType === b.mediaType && names(a) === names(b)
}

/** Code-unit order: the same in every writer, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
