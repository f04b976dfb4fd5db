import {PluginError} from '../errors.js'
import {type Repository, isDigest, repositoryName} from '../reference/reference.js'
import {KeyedLock} from '../util/keyed-lock.js'
import {type RegistryClient} from './client.js'
import {sha256Digest} from './digest.js'
import {type HttpResponse} from '../http/http.js'
import {MediaType} from './media-types.js'
import {type Scope, pull, push} from './scope.js'
import {header} from './transport.js'
import {type Descriptor, type ImageManifest} from './types.js'
import {readBackDelay} from '../util/read-back.js'
import {retry} from '../util/retry.js'
import {pauseWork} from '../util/work-slots.js'

// OCI 1.1 referrers: manifests (bundles, attestations) that name another manifest as `subject`.
// A registry with the referrers API indexes them itself when they are pushed; for the others
// (distribution 2.8) the writer keeps the list in an image index under the fallback tag
// `sha256-<hex>`, shared with every other tool (cosign, oras): entries are only ever added.

export type ReferrersSource = 'api' | 'fallback-tag'

export interface ReferrersList {
  via: ReferrersSource
  manifests: Descriptor[]
}

export interface AddedReferrer {
  descriptor: Descriptor
  via: ReferrersSource
}

const MAX_PAGES = 50
/** Rounds of read-add-write-confirm before giving up on a fallback index others keep rewriting. */
export const MAX_FALLBACK_ATTEMPTS = 6

/** `sha256:<hex>` → `sha256-<hex>`: where the referrers index lives without the API. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-')
}

// The probe's answer is a property of the registry software, so one probe serves every repository;
// kept per client so a test's fresh client (or a different credential set) probes again.
const probes = new WeakMap<RegistryClient, Map<string, boolean>>()
// Read-modify-write of one fallback tag must not interleave within this process.
const tagLocks = new KeyedLock()

export async function hasReferrersApi(client: RegistryClient, repository: Repository, digest: string): Promise<boolean> {
  const known = probes.get(client)?.get(repository.registry)
  if (known !== undefined) return known
  const page = await client.referrersPage(repository, digest)
  return asIndexPage(client, repository, page) !== undefined
}

/** Referrers of a digest in a repository, through the API or else the fallback tag. */
export async function listReferrers(client: RegistryClient, repository: Repository, subjectDigest: string, artifactType?: string): Promise<ReferrersList> {
  const keep = (manifests: Descriptor[]) => manifests.filter((m) => isDescriptor(m) && (!artifactType || m.artifactType === artifactType))
  if (probes.get(client)?.get(repository.registry) !== false) {
    let page = asIndexPage(client, repository, await client.referrersPage(repository, subjectDigest, artifactType ? {artifactType} : {}))
    if (page) {
      const manifests = [...page.manifests]
      for (let pages = 1; page.next && pages < MAX_PAGES; pages++) {
        page = asIndexPage(client, repository, await client.referrersPage(repository, subjectDigest, {next: page.next}))
        if (!page) break
        manifests.push(...page.manifests)
      }

      return {via: 'api', manifests: keep(manifests)}
    }
  }

  const index = await readFallbackIndex(client, repository, referrersTag(subjectDigest), pull(repository))
  return {via: 'fallback-tag', manifests: keep((index?.manifests ?? []) as unknown as Descriptor[])}
}

/**
 * Which listed referrers stand in for others and are to go: given every entry the fallback index
 * would list, the digests to leave out (duplicates of one of the caller's own). Applied to what is
 * listed and to what a racing writer dropped, so a removed duplicate is never put back.
 */
export type RedundantReferrers = (entries: Descriptor[]) => Promise<Set<string>>

export interface AddReferrersOptions {
  redundant?: RedundantReferrers
}

export interface AddedReferrers {
  descriptors: Descriptor[]
  via: ReferrersSource
  /** The fallback index's entries after our write was confirmed (undefined with the API). */
  listed?: Descriptor[]
}

/** Several referrers of one subject: pushed in parallel, then one update of the fallback index. */
export async function addReferrers(
  client: RegistryClient,
  repository: Repository,
  subject: Descriptor,
  manifests: readonly Buffer[],
  mediaType: string,
  options: AddReferrersOptions = {},
): Promise<AddedReferrers> {
  const descriptors = await Promise.all(manifests.map((bytes) => pushReferrer(client, repository, subject, bytes, mediaType)))
  if (await hasReferrersApi(client, repository, subject.digest)) return {descriptors, via: 'api'}
  const tag = referrersTag(subject.digest)
  const listed = await tagLocks.run(`${repositoryName(repository)}:${tag}`, () => addToFallbackIndex(client, repository, tag, descriptors, options.redundant))
  return {descriptors, via: 'fallback-tag', listed}
}

async function pushReferrer(client: RegistryClient, repository: Repository, subject: Descriptor, manifestBytes: Buffer, mediaType: string): Promise<Descriptor> {
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as ImageManifest
  if (manifest.subject?.digest !== subject.digest) {
    throw new PluginError('REGISTRY_ERROR', `the referrer manifest names ${manifest.subject?.digest ?? 'no subject'}, not ${subject.digest}`)
  }

  const written = await client.putManifest(repository, sha256Digest(manifestBytes), manifestBytes, mediaType)
  // ggcr's rule for the listed type: the manifest's artifactType, else its config media type.
  const artifactType = manifest.artifactType ?? manifest.config?.mediaType
  return {
    ...written,
    ...(manifest.annotations && Object.keys(manifest.annotations).length > 0 ? {annotations: manifest.annotations} : {}),
    ...(artifactType ? {artifactType} : {}),
  }
}

/**
 * Read (with ETag), merge, write with If-Match, wait, read back. A registry that honours If-Match
 * refuses a stale write (412); one that ignores it (distribution 2.8) may let another process
 * overwrite us. So the merge keeps every entry seen at any read (entries a racing writer dropped
 * are put back, unless `redundant` says they stand in for another), and the read-back comes after
 * a delay sized like another writer's read-to-write (src/util/read-back.ts), until our entries
 * and all seen ones are listed.
 */
async function addToFallbackIndex(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  entries: readonly Descriptor[],
  redundant: RedundantReferrers = async () => new Set(),
): Promise<Descriptor[]> {
  const seen = new Map<string, Record<string, unknown>>()
  const started = Date.now()
  let rounds = 0
  // Rounds of optimistic concurrency, not retries of a failure: the requests inside keep their
  // full timeout, and the operation's deadline ends the rounds (util/retry.ts).
  const outcome = await retry<{listed: Descriptor[]} | {again: number}>(
    async (attempt) => {
      rounds = attempt.number
      const readAt = Date.now()
      const current = await readFallbackIndex(client, repository, tag)
      const listedEntries = (current?.manifests ?? []).filter((m) => typeof m?.digest === 'string')
      for (const listedEntry of listedEntries) if (!seen.has(String(listedEntry.digest))) seen.set(String(listedEntry.digest), listedEntry)
      const isListed = (digest: string) => listedEntries.some((m) => m.digest === digest)
      const missing = [...seen.values()].filter((known) => !isListed(String(known.digest)))
      const ours = entries.filter((entry) => !isListed(entry.digest) && !seen.has(entry.digest)).map(entryJson)
      // Our entries may be among the missing (seen, then dropped by a racing writer): once each.
      const wanted = [...listedEntries, ...missing, ...ours]
      const leaveOut = await redundant(wanted as unknown as Descriptor[])
      const added = [...missing, ...ours].filter((entry) => !leaveOut.has(String(entry.digest)))
      const removed = listedEntries.filter((entry) => leaveOut.has(String(entry.digest)))
      if (added.length === 0 && removed.length === 0) return {listed: listedEntries as unknown as Descriptor[]}
      const next = withEntries(current?.raw, added, leaveOut)
      if (current?.etag) await client.putManifestIfMatch(repository, tag, next, MediaType.ociIndex, current.etag)
      else await client.putManifest(repository, tag, next, MediaType.ociIndex)
      // Read back after a pause sized like another writer's read-to-write.
      return {again: readBackDelay(Date.now() - readAt, attempt.number)}
    },
    {
      kind: 'rounds',
      attempts: MAX_FALLBACK_ATTEMPTS,
      deadline: client.operationDeadline('rounds'),
      retryResult: (result) => 'again' in result,
      delay: (_round, result) => ('value' in result && 'again' in result.value ? result.value.again : 0),
      pause: pauseWork,
    },
  )
  if ('listed' in outcome) return outcome.listed
  throw new PluginError(
    'REGISTRY_ERROR',
    `could not add ${entries.length === 1 ? `referrer ${entries[0]!.digest}` : `${entries.length} referrers`} to ${repositoryName(repository)}:${tag}: the index kept changing under us (${rounds} attempts in ${Math.round((Date.now() - started) / 1000)} s); another writer is busy with it, run again`,
  )
}

interface FallbackIndex {
  /** The index as stored, so entries and fields we do not know survive our rewrite. */
  raw: Record<string, unknown> & {manifests: Record<string, unknown>[]}
  manifests: Record<string, unknown>[]
  etag?: string
}

/** The index under the fallback tag; `scope` is push when it is read to be rewritten (one token for both). */
async function readFallbackIndex(client: RegistryClient, repository: Repository, tag: string, scope: Scope = push(repository)): Promise<FallbackIndex | undefined> {
  const head = await client.headManifest(repository, tag, scope)
  if (!head) return undefined
  // By digest: the content is exactly what the ETag names, and verified against it.
  const fetched = await client.findManifest(repository, head.digest, scope)
  if (!fetched) return undefined
  const raw = fetched.json as unknown as FallbackIndex['raw']
  if (fetched.mediaType !== MediaType.ociIndex || !Array.isArray(raw.manifests)) {
    throw new PluginError(
      'REGISTRY_ERROR',
      `${repositoryName(repository)}:${tag} holds a ${fetched.mediaType || 'manifest'}, not an OCI image index of referrers; remove or retag it`,
    )
  }

  return {raw, manifests: raw.manifests, ...(head.etag ? {etag: head.etag} : {})}
}

/**
 * The index plus entries, less those left out, sorted by digest like go-containerregistry does
 * (same bytes from either tool).
 */
function withEntries(raw: FallbackIndex['raw'] | undefined, entries: Record<string, unknown>[], leaveOut: Set<string>): Buffer {
  const {schemaVersion: _v, mediaType: _m, manifests = [], ...rest} = raw ?? {manifests: []}
  void _v
  void _m
  const all = [...manifests.filter((m) => !leaveOut.has(String(m?.digest))), ...entries].sort((a, b) => (String(a.digest) < String(b.digest) ? -1 : String(a.digest) > String(b.digest) ? 1 : 0))
  return Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: all, ...rest}))
}

/** A descriptor in go-containerregistry's field order, as cosign writes index entries. */
function entryJson(entry: Descriptor): Record<string, unknown> {
  return {
    mediaType: entry.mediaType,
    size: entry.size,
    digest: entry.digest,
    ...(entry.annotations ? {annotations: entry.annotations} : {}),
    ...(entry.artifactType ? {artifactType: entry.artifactType} : {}),
  }
}

/** The page when the registry answered with an index (the API exists), recording what the probe learnt. */
function asIndexPage(client: RegistryClient, repository: Repository, response: HttpResponse): {manifests: Descriptor[]; next?: string} | undefined {
  const remember = (supported: boolean) => {
    let known = probes.get(client)
    if (!known) probes.set(client, (known = new Map()))
    known.set(repository.registry, supported)
  }

  const type = header(response, 'content-type')?.split(';')[0]?.trim()
  if (response.status === 200 && type === MediaType.ociIndex) {
    const body = parseJson(response.body) as {manifests?: unknown} | undefined
    if (body && Array.isArray(body.manifests)) {
      remember(true)
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(response, 'link') ?? '')?.[1]
      return {manifests: body.manifests as Descriptor[], ...(next ? {next} : {})}
    }
  }

  if (response.status === 401 || response.status === 403 || response.status >= 500) {
    throw new PluginError(
      response.status >= 500 ? 'REGISTRY_ERROR' : 'REGISTRY_AUTH',
      `registry ${repository.registry} refused to list referrers in ${repositoryName(repository)}: HTTP ${response.status}`,
    )
  }

  // A registry with the API may still answer NAME_UNKNOWN for a repository nobody pushed to yet:
  // that says nothing about the registry, so it is not remembered.
  if (!response.body.toString('utf8').includes('NAME_UNKNOWN')) remember(false)
  return undefined
}

function isDescriptor(value: Descriptor): boolean {
  return typeof value?.mediaType === 'string' && typeof value.size === 'number' && typeof value.digest === 'string' && isDigest(value.digest)
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}
