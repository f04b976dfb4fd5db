import {PluginError} from '../errors.js'
import {type HttpResponse, HttpTransportError, httpRequest, httpsAgentWithCa, unverifiedHttpsAgent} from '../http/http.js'
import {isLoopbackRegistry} from '../reference/reference.js'
import {keepExhaustion} from '../util/retry.js'
import {type CredentialLookup} from './credentials.js'
import {Authenticator} from './transport/auth.js'
import {type RegistryRequest, type Send, header, isIdempotent} from './transport/exchange.js'
import {redirectLayer} from './transport/redirects.js'
import {BUDGET_TIMEOUTS, retryLayer} from './transport/retry.js'
import {SchemeProbe} from './transport/scheme.js'

export {header, type RegistryRequest}

// One registry's transport, composed of small layers (src/registry/transport/), top to bottom:
//
//   auth and tokens (auth.ts)     the challenge, the credential, a bearer token per scope set
//   redirect policy (redirects.ts) 3xx followed where asked, never carrying Authorization elsewhere
//   retry (retry.ts)              transient failures of idempotent exchanges, within a deadline
//   scheme probe (scheme.ts)      HTTPS, or plain HTTP for loopback/--insecure-registry hosts
//   http + debug log (src/http)   one exchange, its timeout of silence; DEBUG=pack-ts:http logs it
//
// Callers speak in paths and scopes; auth, scheme and retries are invisible to them.
// docs/registries-transport.md describes the retry policy and the time bound.

export interface TransportOptions {
  credentials: CredentialLookup
  insecureRegistries?: readonly string[]
  /** PEM CA certificates to trust for registries' TLS (--registry-ca). */
  caCertificates?: readonly string[]
  /** One try's timeout of silence (--registry-timeout); default 60 s. */
  timeoutMs?: number
  /** Tries in all of an idempotent exchange; default 4. */
  retries?: number
}

export const DEFAULT_TIMEOUT_MS = 60_000
const DEFAULT_ATTEMPTS = 4

export class RegistryTransport {
  readonly registry: string
  private readonly scheme: SchemeProbe
  private readonly auth: Authenticator
  /** Retry over scheme probe over http: one exchange with its retries. */
  private readonly exchange: Send
  /** Redirect policy over `exchange`. */
  private readonly hops: Send
  private readonly timeoutMs: number

  constructor(registry: string, options: TransportOptions) {
    this.registry = registry
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    // --insecure-registry (pack's meaning): HTTPS first without verifying the certificate, then
    // plain HTTP; for this host only (redirects elsewhere keep the normal trust).
    const insecure = (options.insecureRegistries ?? []).includes(registry)
    this.scheme = new SchemeProbe(registry, {
      mayFallBack: insecure || isLoopbackRegistry(registry),
      insecure,
      httpsAgent: options.caCertificates?.length ? httpsAgentWithCa(options.caCertificates) : undefined,
      unverifiedAgent: insecure ? unverifiedHttpsAgent() : undefined,
    })
    const http: Send = (exchange) => httpRequest(exchange)
    const policy = {attempts: options.retries ?? DEFAULT_ATTEMPTS, budgetMs: BUDGET_TIMEOUTS * this.timeoutMs}
    this.exchange = retryLayer(policy, this.scheme.layer(http))
    this.hops = redirectLayer(registry, () => this.scheme.origin, this.exchange)
    this.auth = new Authenticator(registry, options.credentials, retryLayer(policy, http), this.timeoutMs)
  }

  /** `https://host`, or `http://host` once an --insecure-registry or loopback registry turned out not to speak TLS. */
  get origin(): string {
    return this.scheme.origin
  }

  /** GET /v2/: learns the auth challenge and proves the registry answers. */
  async ping(): Promise<void> {
    if (this.auth.known) return
    const response = await this.wrapped(this.exchange({method: 'GET', url: new URL('/v2/', this.origin), headers: {}, timeoutMs: this.timeoutMs, idempotent: true}))
    if (this.auth.learnFromPing(response)) return
    throw new PluginError(
      'REGISTRY_ERROR',
      `${this.registry} does not answer like an OCI registry (GET /v2/ gave HTTP ${response.status})`,
    )
  }

  /** Sends with the credentials the registry's challenge asks for; see the layers above. */
  request(request: RegistryRequest): Promise<HttpResponse> {
    return this.wrapped(
      this.auth.send(request.scopes, (authorization) =>
        this.hops({
          method: request.method,
          url: new URL(request.path, this.origin),
          headers: {...request.headers, ...(authorization ? {authorization} : {})},
          body: request.body,
          maxBodyBytes: request.maxBodyBytes,
          timeoutMs: this.timeoutMs,
          idempotent: isIdempotent(request),
          followRedirects: request.followRedirects,
        }),
      ),
    )
  }

  /** Where credentials came from, for error messages. */
  credentialSource(): Promise<string> {
    return this.auth.credentialSource()
  }

  /** A transport failure as the user reads it: the registry named, and what to do about TLS. */
  private async wrapped(pending: Promise<HttpResponse>): Promise<HttpResponse> {
    try {
      return await pending
    } catch (error) {
      if (!(error instanceof HttpTransportError)) throw error
      const code = error.kind === 'too-large' ? 'REGISTRY_ERROR' : 'REGISTRY_UNREACHABLE'
      const hints: Partial<Record<HttpTransportError['kind'], string>> = {
        'tls-untrusted': `; pass --registry-ca <file> with the CA certificate that signed it (or set NODE_EXTRA_CA_CERTS), or, less safely, --insecure-registry ${this.registry} to accept its certificate unverified`,
        'plain-http': `; for a plain-HTTP registry pass --insecure-registry ${this.registry}`,
      }
      throw keepExhaustion(error, new PluginError(code, `registry ${this.registry}: ${error.message}${hints[error.kind] ?? ''}`))
    }
  }
}
