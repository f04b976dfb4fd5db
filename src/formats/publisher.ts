import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type BundleItem, type BundleSubject, type BundleWriteResult, type BundleWriter} from './bundle/write.js'
import {type AppendResult, type PendingLayer, type PreparedLayer, TagWriter} from './tag-writer.js'

// A run's writes, collected first and then written once per destination: every entry bound for
// one cosign tag in one cycle of that tag, every bundle of one subject with one update of its
// referrers index. Destinations are independent, so their writes run in parallel.
//
// Entries are queued with `layer` / `bundle`, whose promises settle once `batches()` have run.

export interface PublishBatch {
  kind: 'tag' | 'referrers'
  /** `repo:tag`, or `repo@digest` for the referrers of a subject. */
  where: string
  /** How many entries it writes, by what they are (as the caller labelled them). */
  count: number
  labels: string[]
  /** Writes the batch; rejects when it failed (each entry's promise rejects too). */
  write(): Promise<void>
  /** Gives the batch up unwritten: each entry's promise rejects with `reason`. */
  abandon(reason: unknown): Promise<void>
}

interface Waiter<T> {
  resolve(value: T): void
  reject(error: unknown): void
}

interface TagBatch {
  repository: Repository
  tag: string
  dockerMediaTypes: boolean
  entries: PendingLayer[]
  labels: string[]
  waiters: Waiter<AppendResult>[]
}

interface ReferrersBatch {
  subject: BundleSubject
  items: BundleItem[]
  labels: string[]
  waiters: Waiter<BundleWriteResult>[]
}

export class Publisher {
  readonly tags: TagWriter
  private bundleWriter?: Promise<BundleWriter>
  private readonly tagBatches = new Map<string, TagBatch>()
  private readonly referrerBatches = new Map<string, ReferrersBatch>()

  constructor(readonly client: RegistryClient) {
    this.tags = new TagWriter(client)
  }

  /** The sigstore packages cost ~80 ms to load: only runs that write bundles pay. */
  bundles(): Promise<BundleWriter> {
    this.bundleWriter ??= import('./bundle/write.js').then(({BundleWriter}) => new BundleWriter(this.client))
    return this.bundleWriter
  }

  /**
   * Queues a prepared entry for its tag. A tag shared by entries that ask for different media
   * types gets the first one's (one manifest, one choice).
   */
  layer(prepared: PreparedLayer, label = 'entry'): Promise<AppendResult> {
    if ('existing' in prepared) return Promise.resolve(prepared.existing)
    const where = `${repositoryName(prepared.repository)}:${prepared.tag}`
    let batch = this.tagBatches.get(where)
    if (!batch) {
      batch = {repository: prepared.repository, tag: prepared.tag, dockerMediaTypes: prepared.dockerMediaTypes, entries: [], labels: [], waiters: []}
      this.tagBatches.set(where, batch)
    }

    batch.entries.push(prepared.layer)
    batch.labels.push(label)
    return waitFor(batch.waiters)
  }

  bundle(subject: BundleSubject, item: BundleItem, label = 'bundle'): Promise<BundleWriteResult> {
    const where = `${repositoryName(subject.signatureRepository)}@${subject.digest}`
    let batch = this.referrerBatches.get(where)
    if (!batch) {
      batch = {subject, items: [], labels: [], waiters: []}
      this.referrerBatches.set(where, batch)
    }

    batch.items.push(item)
    batch.labels.push(label)
    return waitFor(batch.waiters)
  }

  /** The queued writes, one per destination; taking them empties the queue. */
  batches(): PublishBatch[] {
    const tags = [...this.tagBatches.entries()].map(([where, batch]): PublishBatch => ({
      kind: 'tag',
      where,
      count: batch.entries.length,
      labels: batch.labels,
      write: () => settle(batch.waiters, () => this.tags.append(batch.repository, batch.tag, batch.entries, {dockerMediaTypes: batch.dockerMediaTypes})),
      abandon: async (reason) => batch.waiters.forEach((waiter) => waiter.reject(reason)),
    }))
    const referrers = [...this.referrerBatches.entries()].map(([where, batch]): PublishBatch => ({
      kind: 'referrers',
      where,
      count: batch.items.length,
      labels: batch.labels,
      write: () => settle(batch.waiters, async () => (await this.bundles()).write(batch.subject, batch.items)),
      abandon: async (reason) => batch.waiters.forEach((waiter) => waiter.reject(reason)),
    }))
    this.tagBatches.clear()
    this.referrerBatches.clear()
    return [...tags, ...referrers]
  }
}

function waitFor<T>(waiters: Waiter<T>[]): Promise<T> {
  return new Promise<T>((resolve, reject) => waiters.push({resolve, reject}))
}

/** Runs one batch and hands each waiter its own result, or the batch's error. */
async function settle<T>(waiters: Waiter<T>[], write: () => Promise<T[]>): Promise<void> {
  let results: T[]
  try {
    results = await write()
  } catch (error) {
    for (const waiter of waiters) waiter.reject(error)
    throw error
  }

  for (const [i, waiter] of waiters.entries()) waiter.resolve(results[i]!)
}
