import {PluginError} from '../errors.js'
import {isLoopbackRegistry} from '../reference/reference.js'
import {rememberBasicCredential, rememberSecret} from '../util/secrets.js'
import {sleep} from '../util/sleep.js'
import {type Challenge, parseChallenge} from './challenge.js'
import {type CredentialLookup, type RegistryCredential, basicHeader, describeSource} from './credentials.js'
import {type HttpRequest, type HttpResponse, HttpTransportError, httpRequest, httpsAgentWithCa, type RequestBody, unverifiedHttpsAgent} from '../http/http.js'
import {type Scope, scopeString} from './scope.js'
import {type Token, fetchToken} from './token.js'

/**
 * One registry's transport: scheme choice, the auth challenge (learned once by ping), a token per
 * scope set, retries of idempotent requests, and redirects that never carry Authorization to
 * another origin. Callers speak in paths and scopes; auth is invisible to them.
 */
export interface TransportOptions {
  credentials: CredentialLookup
  insecureRegistries?: readonly string[]
  /** PEM CA certificates to trust for registries' TLS (--registry-ca). */
  caCertificates?: readonly string[]
  timeoutMs?: number
  retries?: number
}

export interface RegistryRequest {
  method: HttpRequest['method']
  /** Path below the origin (`/v2/...`) or an absolute URL the registry handed us (upload location). */
  path: string
  scopes: Scope[]
  headers?: Record<string, string>
  body?: RequestBody
  maxBodyBytes?: number
  /** Follow 3xx (blob downloads); Authorization is dropped when the origin changes. */
  followRedirects?: boolean
  /** Safe to send again after a 5xx/429/reset (GET, HEAD, manifest PUT). */
  idempotent?: boolean
}

const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504])
const MAX_REDIRECTS = 5

export class RegistryTransport {
  readonly registry: string
  /** `https://host`, or `http://host` once an --insecure-registry or loopback registry turned out not to speak TLS. */
  origin: string
  /** Loopback and --insecure-registry: HTTPS is tried first and plain HTTP used when the registry does not speak TLS. */
  private schemeDecided: boolean
  private readonly httpsAgent: ReturnType<typeof httpsAgentWithCa> | undefined
  /** --insecure-registry: this host's certificate is not verified, and plain HTTP is a fallback. */
  private readonly insecure: boolean
  private readonly unverifiedAgent: ReturnType<typeof unverifiedHttpsAgent> | undefined
  private challenge: Challenge | null | undefined
  private credential: Promise<RegistryCredential | undefined> | undefined
  private readonly tokens = new Map<string, Promise<Token>>()
  private readonly timeoutMs: number
  private readonly retries: number
  private schemeProbe: Promise<HttpResponse> | undefined

  constructor(registry: string, private readonly options: TransportOptions) {
    this.registry = registry
    // --insecure-registry (pack's meaning): HTTPS first without verifying the certificate, then
    // plain HTTP; for this host only (redirects elsewhere keep the normal trust).
    this.insecure = (options.insecureRegistries ?? []).includes(registry)
    this.origin = `https://${registry}`
    this.schemeDecided = !this.insecure && !isLoopbackRegistry(registry)
    this.httpsAgent = options.caCertificates?.length ? httpsAgentWithCa(options.caCertificates) : undefined
    this.unverifiedAgent = this.insecure ? unverifiedHttpsAgent() : undefined
    this.timeoutMs = options.timeoutMs ?? 60_000
    this.retries = options.retries ?? 4
  }

  /** GET /v2/: learns the auth challenge and proves the registry answers. */
  async ping(): Promise<void> {
    if (this.challenge !== undefined) return
    const response = await this.send({method: 'GET', url: new URL('/v2/', this.origin), timeoutMs: this.timeoutMs}, true)
    if (response.status === 401) {
      this.challenge = parseChallenge(header(response, 'www-authenticate')) ?? null
      return
    }

    if (response.status >= 200 && response.status < 300) {
      this.challenge = null
      return
    }

    throw new PluginError(
      'REGISTRY_ERROR',
      `${this.registry} does not answer like an OCI registry (GET /v2/ gave HTTP ${response.status})`,
    )
  }

  /**
   * Sends with the credentials the registry's challenge asks for. The challenge is learned from
   * the first 401 rather than a separate ping, which saves a round trip per registry (and is
   * free on registries without auth).
   */
  async request(request: RegistryRequest): Promise<HttpResponse> {
    // What this request was sent with: a concurrent request may learn the challenge meanwhile.
    const sentWith = this.challenge
    let response = await this.authorizedSend(request)
    if (response.status !== 401) {
      if (this.challenge === undefined && response.status < 500) this.challenge = null
      return response
    }

    const fresh = parseChallenge(header(response, 'www-authenticate'))
    if (!fresh || (sentWith?.scheme === 'basic' && fresh.scheme === 'basic')) return response
    // First challenge, or a bearer token that expired or lacked a scope: fetch a fresh one once.
    this.challenge = fresh
    this.tokens.delete(this.tokenKey(request.scopes))
    response = await this.authorizedSend(request)
    return response
  }

  /** Where credentials came from, for error messages. */
  async credentialSource(): Promise<string> {
    return describeSource(await this.resolveCredential())
  }

  private async authorizedSend(request: RegistryRequest): Promise<HttpResponse> {
    const authorization = await this.authorization(request.scopes)
    const headers = {...request.headers, ...(authorization ? {authorization} : {})}
    let url = new URL(request.path, this.origin)
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === this.origin
      const response = await this.send(
        {
          method: request.method,
          url,
          headers: sameOrigin ? headers : withoutAuthorization(headers),
          body: request.body,
          timeoutMs: this.timeoutMs,
          maxBodyBytes: request.maxBodyBytes,
        },
        request.idempotent ?? (request.method === 'GET' || request.method === 'HEAD'),
      )
      const location = header(response, 'location')
      if (!request.followRedirects || response.status < 300 || response.status >= 400 || !location) return response
      if (hop >= MAX_REDIRECTS) {
        throw new PluginError('REGISTRY_ERROR', `registry ${this.registry} redirected more than ${MAX_REDIRECTS} times`)
      }

      url = new URL(location, url)
    }
  }

  private async authorization(scopes: Scope[]): Promise<string | undefined> {
    const credential = await this.resolveCredential()
    if (credential?.kind === 'bearer') return `Bearer ${credential.token}`
    if (!this.challenge) return undefined
    if (this.challenge.scheme === 'basic') {
      return credential?.kind === 'basic' ? basicHeader(credential.username, credential.password) : undefined
    }

    const token = await this.token(scopes, credential)
    return `Bearer ${token.value}`
  }

  private async token(scopes: Scope[], credential: RegistryCredential | undefined): Promise<Token> {
    const key = this.tokenKey(scopes)
    const cached = this.tokens.get(key)
    if (cached) {
      const token = await cached.catch(() => undefined)
      if (token && token.expiresAt > Date.now()) return token
    }

    const challenge = this.challenge!
    const pending = fetchToken(this.registry, challenge, scopes.map(scopeString), credential, this.timeoutMs)
    this.tokens.set(key, pending)
    pending.catch(() => this.tokens.delete(key))
    return pending
  }

  private tokenKey(scopes: Scope[]): string {
    return scopes.map(scopeString).sort().join(' ')
  }

  private resolveCredential(): Promise<RegistryCredential | undefined> {
    this.credential ??= this.options.credentials.resolve(this.registry).then((credential) => {
      // Whatever source it came from (hook, CNB_REGISTRY_AUTH, docker config, helper): no
      // registry or token-server text we print may carry it.
      if (credential?.kind === 'basic') rememberBasicCredential(credential.username, credential.password)
      else if (credential) rememberSecret(credential.token)
      return credential
    })
    return this.credential
  }

  /** One HTTP exchange with bounded retries (exponential backoff with jitter) for idempotent requests. */
  private async send(request: HttpRequest, idempotent: boolean): Promise<HttpResponse> {
    const attempts = idempotent ? this.retries : 1
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.exchange(request)
        if (!RETRYABLE_STATUS.has(response.status) || attempt >= attempts) return response
        await sleep(backoff(attempt, header(response, 'retry-after')))
      } catch (error) {
        if (!(error instanceof HttpTransportError) || (error.kind !== 'connection' && error.kind !== 'timeout')) throw this.wrap(error)
        if (attempt >= attempts) throw this.wrap(error)
        await sleep(backoff(attempt))
      }
    }
  }

  /** One exchange; on a loopback registry the first one settles HTTPS or plain HTTP (like ggcr). */
  private async exchange(request: HttpRequest): Promise<HttpResponse> {
    // A retry of a request built before the switch to plain HTTP still names https://registry.
    const url = request.url.host === this.registry && `${request.url.protocol}//${request.url.host}` !== this.origin ? new URL(request.url.pathname + request.url.search, this.origin) : request.url
    const withAgent = {...request, url, httpsAgent: this.unverifiedAgent && this.isRegistryHost(url) ? this.unverifiedAgent : this.httpsAgent}
    if (this.schemeDecided || url.origin !== this.origin) return httpRequest(withAgent)
    // One request settles the scheme; the others (a batch resolving at once) wait for it rather
    // than each knocking with TLS on a plain-HTTP port.
    if (this.schemeProbe) {
      await this.schemeProbe.catch(() => {})
      return this.exchange(request)
    }

    const probe = this.probeScheme(withAgent, url)
    this.schemeProbe = probe
    try {
      return await probe
    } finally {
      this.schemeProbe = undefined
    }
  }

  /** The registry's own host (`host:443` and `host` are one), not a blob store it redirects to. */
  private isRegistryHost(url: URL): boolean {
    return url.host === this.registry || url.host === new URL(`${url.protocol}//${this.registry}`).host
  }

  private async probeScheme(withAgent: HttpRequest & {httpsAgent: unknown}, url: URL): Promise<HttpResponse> {
    try {
      const response = await httpRequest(withAgent)
      this.schemeDecided = true
      return response
    } catch (error) {
      // An --insecure-registry host falls back on any failure to connect over TLS, as
      // go-containerregistry does for insecure registries; a loopback one only when the port
      // plainly does not speak TLS.
      const plain =
        error instanceof HttpTransportError &&
        (error.kind === 'plain-http' || error.errno === 'ECONNRESET' || (this.insecure && (error.kind === 'connection' || error.kind === 'timeout')))
      if (!plain) throw error
      this.origin = `http://${this.registry}`
      this.schemeDecided = true
      return httpRequest({...withAgent, url: new URL(url.pathname + url.search, this.origin)})
    }
  }

  private wrap(error: unknown): unknown {
    if (!(error instanceof HttpTransportError)) return error
    const code = error.kind === 'too-large' ? 'REGISTRY_ERROR' : 'REGISTRY_UNREACHABLE'
    const hints: Partial<Record<HttpTransportError['kind'], string>> = {
      'tls-untrusted': `; pass --registry-ca <file> with the CA certificate that signed it (or set NODE_EXTRA_CA_CERTS), or, less safely, --insecure-registry ${this.registry} to accept its certificate unverified`,
      'plain-http': `; for a plain-HTTP registry pass --insecure-registry ${this.registry}`,
    }
    return new PluginError(code, `registry ${this.registry}: ${error.message}${hints[error.kind] ?? ''}`)
  }
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const {authorization: _dropped, ...rest} = headers
  void _dropped
  return rest
}

function backoff(attempt: number, retryAfter?: string): number {
  const seconds = retryAfter ? Number(retryAfter) : Number.NaN
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 10) * 1000
  const base = 100 * 2 ** (attempt - 1)
  return base + Math.random() * base
}
