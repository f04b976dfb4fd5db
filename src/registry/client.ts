import {PluginError} from '../errors.js'
import {type Repository, isDigest, repositoryName} from '../reference/reference.js'
import {Deadline, retry} from '../util/retry.js'
import {sha256Digest, verifyDigest} from './digest.js'
import {bodyLength, type HttpResponse, type RequestBody} from '../http/http.js'
import {MANIFEST_ACCEPT} from './media-types.js'
import {RegistryResponseError, registryError} from './registry-error.js'
import {type Scope, pull, push} from './scope.js'
import {DEFAULT_TIMEOUT_MS, RegistryTransport, type TransportOptions, header} from './transport.js'
import {BUDGET_TIMEOUTS} from './transport/retry.js'
import {type Descriptor, type FetchedManifest} from './types.js'

// OCI distribution operations (go-containerregistry's `remote`), in terms of repositories and
// descriptors. Every manifest and blob read is checked against its digest before use.

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
/** Below this size an upload is cheaper than asking whether the registry has the blob. */
const SMALL_BLOB_BYTES = 64 * 1024
const UPLOAD_ATTEMPTS = 5
/** The least time the rounds of a read-modify-write (tag-writer, referrers) get. */
const MIN_ROUNDS_BUDGET_MS = 60_000

/** Worth trying again: the registry was unreachable for a moment or answered 5xx/429. */
function isTransient(error: unknown): boolean {
  if (error instanceof RegistryResponseError) return error.status >= 500 || error.status === 429 || error.status === 408
  return error instanceof PluginError && error.code === 'REGISTRY_UNREACHABLE'
}

export class RegistryClient {
  private readonly transports = new Map<string, RegistryTransport>()
  /** Per registry: whether `POST ?digest=` completes an upload (distribution 2.8: no). */
  private readonly monolithicUpload = new Map<string, boolean>()

  constructor(private readonly options: TransportOptions) {}

  transport(registry: string): RegistryTransport {
    let transport = this.transports.get(registry)
    if (!transport) {
      transport = new RegistryTransport(registry, this.options)
      this.transports.set(registry, transport)
    }

    return transport
  }

  ping(registry: string): Promise<void> {
    return this.transport(registry).ping()
  }

  /** The manifest at a tag or digest, or undefined when the registry says it does not exist. */
  async findManifest(repository: Repository, reference: string, scope: Scope = pull(repository)): Promise<FetchedManifest | undefined> {
    const what = `manifest ${repositoryName(repository)}${refSuffix(reference)}`
    const response = await this.request(repository, {
      method: 'GET',
      path: manifestPath(repository, reference),
      scopes: [scope],
      headers: {accept: MANIFEST_ACCEPT},
      maxBodyBytes: MAX_MANIFEST_BYTES,
    })
    if (response.status === 404) return undefined
    if (response.status !== 200) throw registryError(repository.registry, `reading ${what}`, response)
    const bytes = response.body
    const digest = sha256Digest(bytes)
    const expected = isDigest(reference) ? reference : header(response, 'docker-content-digest')
    if (expected) verifyDigest(bytes, expected, what)
    let json: FetchedManifest['json']
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new PluginError('REGISTRY_ERROR', `${what} is not valid JSON`)
    }

    if (!json || typeof json !== 'object') throw new PluginError('REGISTRY_ERROR', `${what} is not a JSON object`)
    const mediaType = json.mediaType ?? header(response, 'content-type')?.split(';')[0]?.trim() ?? ''
    return {mediaType, digest, bytes, json}
  }

  async getManifest(repository: Repository, reference: string): Promise<FetchedManifest> {
    const manifest = await this.findManifest(repository, reference)
    if (!manifest) {
      throw new PluginError(
        'REGISTRY_NOT_FOUND',
        `image ${repositoryName(repository)}${refSuffix(reference)} not found on ${repository.registry} (MANIFEST_UNKNOWN)`,
      )
    }

    return manifest
  }

  async putManifest(repository: Repository, reference: string, bytes: Buffer, mediaType: string, headers: Record<string, string> = {}): Promise<Descriptor> {
    const response = await this.request(repository, {
      method: 'PUT',
      path: manifestPath(repository, reference),
      scopes: [push(repository)],
      headers: {'content-type': mediaType, ...headers},
      body: bytes,
      idempotent: true,
    })
    if (response.status !== 201 && response.status !== 200) {
      throw registryError(repository.registry, `writing manifest ${repositoryName(repository)}${refSuffix(reference)}`, response)
    }

    return {mediaType, digest: sha256Digest(bytes), size: bytes.length}
  }

  async blobExists(repository: Repository, digest: string, scope: Scope = push(repository)): Promise<boolean> {
    const response = await this.request(repository, {method: 'HEAD', path: blobPath(repository, digest), scopes: [scope]})
    if (response.status === 200) return true
    if (response.status === 404) return false
    throw registryError(repository.registry, `checking blob ${digest} in ${repositoryName(repository)}`, response)
  }

  async getBlob(repository: Repository, digest: string, maxBytes: number): Promise<Buffer> {
    const response = await this.request(repository, {
      method: 'GET',
      path: blobPath(repository, digest),
      scopes: [pull(repository)],
      maxBodyBytes: maxBytes,
      followRedirects: true,
    })
    if (response.status !== 200) throw registryError(repository.registry, `reading blob ${digest} of ${repositoryName(repository)}`, response)
    verifyDigest(response.body, digest, `blob ${digest} of ${repositoryName(repository)}`)
    return response.body
  }

  /**
   * Uploads content. Small blobs skip the existence check (uploading them costs no more than
   * asking), larger ones are uploaded only when missing. One `POST ?digest=` carries the bytes
   * where the registry supports monolithic upload (201); otherwise it opened a session (202) and
   * a `PUT` finishes it.
   */
  async uploadBlob(repository: Repository, content: RequestBody, mediaType: string): Promise<Descriptor> {
    // An upload is content-addressed, so the whole POST + PUT may start over after a transient
    // failure (a reset, a 5xx): a half-finished session is simply abandoned. What the transport
    // already retried (the HEAD, say) is not started over again (util/retry.ts).
    return retry(() => this.uploadBlobOnce(repository, content, mediaType), {
      attempts: UPLOAD_ATTEMPTS,
      deadline: this.operationDeadline(),
      retryError: isTransient,
    })
  }

  /**
   * The deadline of one registry operation started now, after which no retry or round starts
   * (util/retry.ts): 2 × the request timeout for retries of a failure (an upload starting over);
   * at least a minute for the rounds of a read-modify-write, since other writers keeping us busy
   * is no sign of a registry gone silent, which is what a short --registry-timeout is for.
   */
  operationDeadline(kind: 'retry' | 'rounds' = 'retry'): Deadline {
    const budget = BUDGET_TIMEOUTS * (this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    return Deadline.in(kind === 'rounds' ? Math.max(budget, MIN_ROUNDS_BUDGET_MS) : budget)
  }

  private async uploadBlobOnce(repository: Repository, content: RequestBody, mediaType: string): Promise<Descriptor> {
    const digest = sha256Digest(content)
    const size = bodyLength(content)
    const descriptor = {mediaType, digest, size}
    const small = size <= SMALL_BLOB_BYTES
    if (!small && (await this.blobExists(repository, digest))) return descriptor
    // Monolithic POST only for small blobs and only until the registry shows it ignores it.
    const monolithic = small && this.monolithicUpload.get(repository.registry) !== false
    const posted = await this.request(repository, {
      method: 'POST',
      path: `/v2/${repository.path}/blobs/uploads/${monolithic ? `?digest=${encodeURIComponent(digest)}` : ''}`,
      scopes: [push(repository)],
      ...(monolithic ? {headers: {'content-type': 'application/octet-stream'}, body: content} : {}),
    })
    if (posted.status === 201) {
      this.monolithicUpload.set(repository.registry, true)
      return descriptor
    }

    if (monolithic && posted.status === 202) this.monolithicUpload.set(repository.registry, false)
    const location = header(posted, 'location')
    if (posted.status !== 202 || !location) {
      throw registryError(repository.registry, `uploading blob ${digest} to ${repositoryName(repository)}`, posted)
    }

    const url = new URL(location, this.transport(repository.registry).origin)
    url.searchParams.set('digest', digest)
    const response = await this.request(repository, {
      method: 'PUT',
      path: url.toString(),
      scopes: [push(repository)],
      headers: {'content-type': 'application/octet-stream'},
      body: content,
    })
    if (response.status !== 201) throw registryError(repository.registry, `uploading blob ${digest} to ${repositoryName(repository)}`, response)
    return descriptor
  }

  /**
   * Proves push access without leaving anything behind: open an upload session, then cancel it.
   */
  async checkPushAccess(repository: Repository): Promise<void> {
    const location = await this.startUpload(repository)
    const response = await this.request(repository, {
      method: 'DELETE',
      path: new URL(location, this.transport(repository.registry).origin).toString(),
      scopes: [push(repository)],
      idempotent: true,
    })
    // 404: the session expired already; anything 2xx is a cancelled session. Both leave nothing.
    if (response.status >= 300 && response.status !== 404) {
      throw registryError(repository.registry, `cancelling the test upload to ${repositoryName(repository)}`, response)
    }
  }

  async listTags(repository: Repository): Promise<string[]> {
    const tags: string[] = []
    let path: string | undefined = `/v2/${repository.path}/tags/list?n=1000`
    while (path) {
      const response: HttpResponse = await this.request(repository, {method: 'GET', path, scopes: [pull(repository)]})
      if (response.status === 404) return tags
      if (response.status !== 200) throw registryError(repository.registry, `listing tags of ${repositoryName(repository)}`, response)
      const body = JSON.parse(response.body.toString('utf8')) as {tags?: string[] | null}
      tags.push(...(body.tags ?? []))
      path = nextLink(header(response, 'link'))
    }

    return tags
  }

  /**
   * A manifest's digest and ETag without its body, or undefined when it does not exist. Read the
   * content by that digest: the ETag then names exactly what was read (for putManifestIfMatch).
   */
  async headManifest(repository: Repository, reference: string, scope: Scope = pull(repository)): Promise<{digest: string; etag?: string} | undefined> {
    const response = await this.request(repository, {
      method: 'HEAD',
      path: manifestPath(repository, reference),
      scopes: [scope],
      headers: {accept: MANIFEST_ACCEPT},
    })
    if (response.status === 404) return undefined
    const digest = header(response, 'docker-content-digest')
    if (response.status !== 200 || !digest) {
      throw registryError(repository.registry, `checking manifest ${repositoryName(repository)}${refSuffix(reference)}`, response)
    }

    const etag = header(response, 'etag')
    return etag ? {digest, etag} : {digest}
  }

  /**
   * PUT guarded by `If-Match`: false when the registry answers 412 (the tag changed since it was
   * read), so a read-modify-write can start over instead of dropping another writer's change.
   */
  async putManifestIfMatch(repository: Repository, reference: string, bytes: Buffer, mediaType: string, etag: string): Promise<boolean> {
    const response = await this.request(repository, {
      method: 'PUT',
      path: manifestPath(repository, reference),
      scopes: [push(repository)],
      headers: {'content-type': mediaType, 'if-match': etag},
      body: bytes,
      idempotent: true,
    })
    if (response.status === 412) return false
    if (response.status !== 201 && response.status !== 200) {
      throw registryError(repository.registry, `writing manifest ${repositoryName(repository)}${refSuffix(reference)}`, response)
    }

    return true
  }

  /**
   * One page of the OCI 1.1 referrers list of a digest (or the page a `Link` header named), as the
   * registry answered it: a registry without the API answers 404 or something that is not an
   * index, and only the caller knows what that means.
   */
  referrersPage(repository: Repository, digest: string, options: {artifactType?: string; next?: string} = {}): Promise<HttpResponse> {
    const query = options.artifactType ? `?artifactType=${encodeURIComponent(options.artifactType)}` : ''
    return this.request(repository, {
      method: 'GET',
      path: options.next ?? `/v2/${repository.path}/referrers/${digest}${query}`,
      scopes: [pull(repository)],
      headers: {accept: 'application/vnd.oci.image.index.v1+json'},
      maxBodyBytes: MAX_MANIFEST_BYTES,
    })
  }

  private async startUpload(repository: Repository): Promise<string> {
    const response = await this.request(repository, {
      method: 'POST',
      path: `/v2/${repository.path}/blobs/uploads/`,
      scopes: [push(repository)],
    })
    const location = header(response, 'location')
    if (response.status !== 202 || !location) {
      throw registryError(repository.registry, `push to ${repositoryName(repository)}`, response)
    }

    return location
  }

  private async request(repository: Repository, request: Parameters<RegistryTransport['request']>[0]): Promise<HttpResponse> {
    const transport = this.transport(repository.registry)
    const response = await transport.request(request)
    if (response.status === 401) {
      throw registryError(
        repository.registry,
        `${await transport.credentialSource()} for ${repositoryName(repository)}`,
        response,
      )
    }

    return response
  }
}

function manifestPath(repository: Repository, reference: string): string {
  return `/v2/${repository.path}/manifests/${reference}`
}

function blobPath(repository: Repository, digest: string): string {
  return `/v2/${repository.path}/blobs/${digest}`
}

function refSuffix(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`
}

/** RFC 5988 `Link: </v2/…?last=x&n=1000>; rel="next"` pagination. */
function nextLink(link: string | undefined): string | undefined {
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null
  return match?.[1]
}
