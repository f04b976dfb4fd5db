import {type HttpResponse, HttpTransportError, type httpsAgentWithCa, type unverifiedHttpsAgent} from '../../http/http.js'
import {type Exchange, type Send} from './exchange.js'

/**
 * Scheme probe: which scheme a registry speaks, and which TLS trust its requests use.
 *
 * A registry is reached over HTTPS. A loopback registry, and one named by --insecure-registry,
 * start with HTTPS too, and the first exchange settles it (like go-containerregistry): a loopback
 * one moves to plain HTTP when the port plainly does not speak TLS, an --insecure-registry host on
 * any failure to connect over TLS. An --insecure-registry host's certificate is not verified (for
 * that host only: a redirect elsewhere keeps the normal trust).
 */
export class SchemeProbe {
  /** `https://host`, or `http://host` once the registry turned out not to speak TLS. */
  origin: string
  private decided: boolean
  private probe: Promise<HttpResponse> | undefined

  constructor(
    readonly registry: string,
    private readonly options: {
      /** Loopback or --insecure-registry: HTTPS first, plain HTTP when the registry does not speak TLS. */
      mayFallBack: boolean
      /** --insecure-registry: any TLS connection failure falls back, and the certificate is not verified. */
      insecure: boolean
      /** --registry-ca trust for HTTPS; the default trust when undefined. */
      httpsAgent?: ReturnType<typeof httpsAgentWithCa>
      unverifiedAgent?: ReturnType<typeof unverifiedHttpsAgent>
    },
  ) {
    this.origin = `https://${registry}`
    this.decided = !options.mayFallBack
  }

  /** The layer: the exchange sent with the settled scheme and the right agent. */
  layer(next: Send): Send {
    return (exchange) => this.send(exchange, next)
  }

  private async send(exchange: Exchange, next: Send): Promise<HttpResponse> {
    // A request built before the switch to plain HTTP (or a retry of one) still names https://registry.
    const url = exchange.url.host === this.registry && `${exchange.url.protocol}//${exchange.url.host}` !== this.origin ? new URL(exchange.url.pathname + exchange.url.search, this.origin) : exchange.url
    const withAgent = {...exchange, url, httpsAgent: this.options.unverifiedAgent && this.isRegistryHost(url) ? this.options.unverifiedAgent : this.options.httpsAgent}
    if (this.decided || url.origin !== this.origin) return next(withAgent)
    // One request settles the scheme; the others (a batch resolving at once) wait for it rather
    // than each knocking with TLS on a plain-HTTP port. When it fails, they fail with it: each
    // probing again in turn made N waiting requests take N timeouts.
    if (this.probe) {
      try {
        await this.probe
      } catch (error) {
        throw error instanceof HttpTransportError ? new HttpTransportError(error.message, error.kind, error.errno) : error
      }

      return this.send(exchange, next)
    }

    const probe = this.probeScheme(withAgent, next)
    this.probe = probe
    try {
      return await probe
    } finally {
      this.probe = undefined
    }
  }

  private async probeScheme(exchange: Exchange, next: Send): Promise<HttpResponse> {
    try {
      const response = await next(exchange)
      this.decided = true
      return response
    } catch (error) {
      // An --insecure-registry host falls back on any failure to connect over TLS, as
      // go-containerregistry does for insecure registries; a loopback one only when the port
      // plainly does not speak TLS.
      const plain =
        error instanceof HttpTransportError &&
        (error.kind === 'plain-http' || error.errno === 'ECONNRESET' || (this.options.insecure && (error.kind === 'connection' || error.kind === 'timeout')))
      if (!plain) throw error
      this.origin = `http://${this.registry}`
      this.decided = true
      return next({...exchange, url: new URL(exchange.url.pathname + exchange.url.search, this.origin)})
    }
  }

  /** The registry's own host (`host:443` and `host` are one), not a blob store it redirects to. */
  isRegistryHost(url: URL): boolean {
    return url.host === this.registry || url.host === new URL(`${url.protocol}//${this.registry}`).host
  }
}
