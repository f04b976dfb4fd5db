import {PluginError} from '../errors.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type RequestBody} from '../registry/http.js'
import {isTransientBlobRace} from '../registry/registry-error.js'
import {push} from '../registry/scope.js'
import {type Descriptor, type ImageManifest} from '../registry/types.js'
import {KeyedLock} from '../util/keyed-lock.js'
import {readBackDelay} from '../util/read-back.js'
import {pauseWork} from '../util/work-slots.js'
import {buildSignatureImage} from './signature-image.js'

/**
 * Adds one layer to the image under a cosign tag (`.sig`, `.att`): read what is there, skip when
 * an equivalent layer exists, upload the new layer and config, write the manifest back.
 */
export const MAX_SIGNATURE_LAYERS = 1000
const MAX_DUPLICATE_CHECK_BYTES = 64 * 1024 * 1024
const SIZE_SLACK_BYTES = 64 * 1024
const MAX_WRITE_ATTEMPTS = 8
const EARLY_UPLOAD_BYTES = 64 * 1024

export interface NewLayer {
  /** The blob, whole or as its chunks in order (a large envelope). */
  content: RequestBody
  descriptor: Descriptor
}

export interface AppendResult {
  repository: Repository
  tag: string
  manifestDigest: string
  /** False when an equivalent layer was already there (re-runs add nothing). */
  appended: boolean
}

export interface AppendOptions {
  dockerMediaTypes: boolean
  /**
   * Whether an existing layer already stands for the new one (re-runs add nothing). `content`
   * reads that layer's blob, verified, for checks that need more than its descriptor.
   */
  isDuplicate: (existing: Descriptor, content: () => Promise<Buffer>) => Promise<boolean>
}

const tagLocks = new KeyedLock()
/** Tags this process has read or written: their config is not guessed to be a fresh tag's. */
const existingTags = new Set<string>()

export function appendLayer(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  layer: NewLayer,
  options: AppendOptions,
): Promise<AppendResult> {
  const where = `${repositoryName(repository)}:${tag}`
  return tagLocks.run(where, () => appendUnlocked(client, repository, tag, where, layer, options))
}

async function appendUnlocked(
  client: RegistryClient,
  repository: Repository,
  tag: string,
  /** `repo:tag`, for messages and as the key of per-tag state. */
  where: string,
  layer: NewLayer,
  options: AppendOptions,
): Promise<AppendResult> {
  // Every entry seen at any read: a writer that raced us may have dropped some, and we put them
  // back, so concurrent signers converge on the union instead of losing each other's entries.
  const seen = new Map<string, Descriptor>()
  let wrote = false
  let uploaded = false
  let lastWritten: string | undefined
  let confirmations = 0
  // Blobs go up before the first read, so the read-to-write window (which racing writers can fall
  // into, and which sets the read-back wait) holds only the read and the manifest PUT: a small
  // layer always, and the config of a fresh tag (the usual case: a just-built image), guessed
  // unless this process has seen the tag. A large layer (an SBOM envelope) waits until needed.
  let configUploaded: string | undefined
  if (layer.descriptor.size <= EARLY_UPLOAD_BYTES) {
    const guess = existingTags.has(where) ? undefined : buildSignatureImage([layer.descriptor], options.dockerMediaTypes)
    await Promise.all([
      client.uploadBlob(repository, layer.content, layer.descriptor.mediaType),
      guess && client.uploadBlob(repository, guess.config, guess.configDescriptor.mediaType),
    ])
    uploaded = true
    configUploaded = guess?.configDescriptor.digest
  }

  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    let readAt = Date.now()
    let current = await readLayers(client, repository, tag, where)
    if (current.digest !== undefined) existingTags.add(where)
    remember(seen, current.layers)
    const fetched = {count: 0}
    // After our own write, our exact entry is what to look for; before it, an equivalent one.
    let ours = wrote ? exactEntry(current.layers, layer) : await findEquivalent(client, repository, current.layers, layer, options, fetched)
    if (!ours && fetched.count > 0) {
      // Reading other entries' content took time in which others may have written: take a fresh
      // base just before writing, so the read-to-write window stays short.
      readAt = Date.now()
      current = await readLayers(client, repository, tag, where)
      ours = exactEntry(current.layers, layer) ?? (await findEquivalent(client, repository, current.layers, layer, options, fetched))
    }

    remember(seen, current.layers)
    const present = new Set(current.layers.map(identity))
    const missing = [...seen.values()].filter((entry) => !present.has(identity(entry)))
    if (ours && missing.length === 0) {
      // Unchanged since our own write (or nothing to write): nobody raced us. Changed by another
      // writer who kept our entry: others are active, so confirm once more after a pause.
      const settled = !wrote || current.digest === lastWritten || ++confirmations >= 2
      if (settled) return {repository, tag, manifestDigest: current.digest!, appended: wrote}
      await pauseWork(readBackDelay(Date.now() - readAt, attempt))
      continue
    }

    // Our own entry may be among the missing (seen in a read-back, then dropped by a racing
    // writer): one copy of each entry, whatever list it came from.
    const layers = uniqueByIdentity([...current.layers, ...missing, ...(ours ? [] : [layer.descriptor])])
    if (layers.length > MAX_SIGNATURE_LAYERS) {
      throw new PluginError('REGISTRY_ERROR', `${where} would hold ${layers.length} layers; verifiers refuse more than ${MAX_SIGNATURE_LAYERS}`)
    }

    const image = buildSignatureImage(layers, options.dockerMediaTypes)
    try {
      if (!uploaded) await client.uploadBlob(repository, layer.content, layer.descriptor.mediaType)
      uploaded = true
      if (image.configDescriptor.digest !== configUploaded) await client.uploadBlob(repository, image.config, image.configDescriptor.mediaType)
      lastWritten = (await client.putManifest(repository, tag, image.manifest, image.manifestMediaType)).digest
      wrote = true
      existingTags.add(where)
    } catch (error) {
      // distribution rewrites a blob's link file in place when the same blob is uploaded twice at
      // once, and a concurrent manifest PUT can then see it as unknown: a transient, retried.
      if (!isTransientBlobRace(error) || attempt === MAX_WRITE_ATTEMPTS) throw error
    }

    // A writer that read before our PUT finishes within about the time a read-to-write takes
    // on this registry under this load; wait that out with margin, then read back (next
    // iteration) to confirm our entry — and everyone we saw — is still there.
    await pauseWork(readBackDelay(Date.now() - readAt, attempt))
  }

  throw new PluginError('REGISTRY_ERROR', `${where}: other writers kept replacing it; gave up after ${MAX_WRITE_ATTEMPTS} attempts — run again (nothing already there was removed)`)
}

async function readLayers(client: RegistryClient, repository: Repository, tag: string, where: string): Promise<{digest?: string; layers: Descriptor[]}> {
  const existing = await client.findManifest(repository, tag, push(repository))
  if (!existing) return {layers: []}
  const layers = (existing.json as ImageManifest).layers
  if (isIndexMediaType(existing.mediaType) || !Array.isArray(layers)) {
    throw new PluginError('REGISTRY_ERROR', `${where} is not an image manifest; cosign tags must hold one (remove or retag it)`)
  }

  if (layers.length > MAX_SIGNATURE_LAYERS) {
    throw new PluginError('REGISTRY_ERROR', `${where} already holds ${layers.length} layers; verifiers refuse more than ${MAX_SIGNATURE_LAYERS}`)
  }

  return {digest: existing.digest, layers}
}

function exactEntry(layers: Descriptor[], layer: NewLayer): Descriptor | undefined {
  const own = identity(layer.descriptor)
  return layers.find((candidate) => identity(candidate) === own)
}

/** Content already found not to be ours (blobs are immutable): not fetched again. */
const notOurs = new Set<string>()

async function findEquivalent(
  client: RegistryClient,
  repository: Repository,
  layers: Descriptor[],
  layer: NewLayer,
  options: AppendOptions,
  fetched: {count: number},
): Promise<Descriptor | undefined> {
  // Our own entry from an earlier attempt is recognised by identity, without fetching anything.
  const exact = exactEntry(layers, layer)
  if (exact) return exact
  for (const candidate of layers) {
    if (candidate.mediaType !== layer.descriptor.mediaType) continue
    // Entries of one tag can share a digest (cosign payloads) and differ in annotations.
    const key = `${repositoryName(repository)}#${identity(candidate)}#${identity(layer.descriptor)}`
    if (notOurs.has(key)) continue
    // An equivalent entry is about our size (an attestation differs only in its signature), so
    // the cap follows our layer: a 50 MiB SBOM's envelope is larger than the fixed cap.
    const cap = Math.max(MAX_DUPLICATE_CHECK_BYTES, layer.descriptor.size + SIZE_SLACK_BYTES)
    if (candidate.size > cap) continue
    const content = () => {
      fetched.count++
      return client.getBlob(repository, candidate.digest, cap)
    }

    if (await options.isDuplicate(candidate, content)) return candidate
    notOurs.add(key)
  }

  return undefined
}


function remember(seen: Map<string, Descriptor>, layers: Descriptor[]): void {
  for (const entry of layers) if (!seen.has(identity(entry))) seen.set(identity(entry), entry)
}

function uniqueByIdentity(layers: Descriptor[]): Descriptor[] {
  const kept = new Map<string, Descriptor>()
  for (const entry of layers) if (!kept.has(identity(entry))) kept.set(identity(entry), entry)
  return [...kept.values()]
}

/** A layer entry is the same entry when digest, media type and annotations are. */
function identity(descriptor: Descriptor): string {
  const annotations = Object.entries(descriptor.annotations ?? {}).sort(([a], [b]) => a.localeCompare(b))
  return JSON.stringify([descriptor.digest, descriptor.mediaType, annotations])
}

