import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'

import {httpDebugEnabled, logExchange} from './debug-log.js'

// The one place that speaks HTTP. Node's agents give keep-alive pools per origin; requests carry
// a timeout (of silence) so a stalled registry fails instead of hanging. With DEBUG=pack-ts:http
// each exchange is logged to stderr, secrets redacted (debug-log.ts). Responses are buffered up to a limit
// (manifests, tokens, blobs); a large request body may be a list of chunks, never joined.

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
  url: URL
  headers?: Record<string, string>
  body?: RequestBody
  timeoutMs?: number
  /** Largest body we accept; beyond it the request fails (defends against hostile registries). */
  maxBodyBytes?: number
  /** HTTPS agent trusting extra CA certificates (--registry-ca); the default trust otherwise. */
  httpsAgent?: https.Agent
  /** Which try of a retried exchange this is, for the debug log (1 when absent). */
  attempt?: number
}

/**
 * A request body: one buffer, or a list of chunks sent in order (a large blob never joined into
 * one). Either can be sent again as is, for a retry.
 */
export type RequestBody = Buffer | readonly Buffer[]

export function bodyLength(body: RequestBody): number {
  return Buffer.isBuffer(body) ? body.length : body.reduce((total, chunk) => total + chunk.length, 0)
}

export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export class HttpTransportError extends Error {
  override readonly name = 'HttpTransportError'
  constructor(
    message: string,
    readonly kind: 'timeout' | 'connection' | 'too-large' | 'tls-untrusted' | 'plain-http',
    readonly errno?: string,
  ) {
    super(message)
  }
}

const DEFAULT_TIMEOUT_MS = 60_000
const DEFAULT_MAX_BODY = 8 * 1024 * 1024

const agents = {
  http: new http.Agent({keepAlive: true, maxSockets: 16}),
  https: new https.Agent({keepAlive: true, maxSockets: 16}),
}

export function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  if (!httpDebugEnabled()) return exchange(request)
  const started = Date.now()
  return exchange(request).then(
    (response) => {
      logExchange(request, {status: response.status}, Date.now() - started)
      return response
    },
    (error: unknown) => {
      logExchange(request, {error}, Date.now() - started)
      throw error
    },
  )
}

/** Body writes are handed to the socket in slices this big, so a large upload shows progress. */
const WRITE_SLICE = 64 * 1024

function exchange(request: HttpRequest): Promise<HttpResponse> {
  const maxBody = request.maxBodyBytes ?? DEFAULT_MAX_BODY
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS
  return new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:'
    const headers: Record<string, string> = {'user-agent': USER_AGENT, ...request.headers}
    if (request.body) headers['content-length'] = String(bodyLength(request.body))
    // The timeout counts silence: from the moment a socket is ours, reset by every sign of progress
    // (the answer's headers, each piece of its body, each slice of ours the socket took). Our own
    // timer, not the socket's: over TLS a socket's idle timeout fired only after twice its time.
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const stall = () => {
      req.destroy(new HttpTransportError(`no answer from ${request.url.host} within ${formatSeconds(timeoutMs)}`, 'timeout'))
    }
    const progress = () => {
      clearTimeout(timer)
      if (!settled) timer = setTimeout(stall, timeoutMs)
    }
    const settle = () => {
      settled = true
      clearTimeout(timer)
    }
    const req = (secure ? https : http).request(
      request.url,
      {method: request.method, headers, agent: secure ? (request.httpsAgent ?? agents.https) : agents.http},
      (res) => {
        progress()
        const status = res.statusCode ?? 0
        const hasBody = request.method !== 'HEAD' && status !== 204 && status !== 304
        const body = new ResponseBody(hasBody ? res.headers['content-length'] : undefined, maxBody)
        res.on('data', (chunk: Buffer) => {
          progress()
          if (body.add(chunk)) return
          settle()
          // Settled here: destroying with an error object could surface it unhandled, after an
          // 'end' already queued had resolved with the truncated body.
          reject(new HttpTransportError(`response from ${request.url.host} is larger than ${maxBody} bytes`, 'too-large'))
          req.destroy()
        })
        res.on('end', () => {
          settle()
          resolve({status, headers: res.headers, body: body.bytes()})
        })
        res.on('error', (error) => {
          settle()
          reject(toTransportError(error, request.url))
        })
      },
    )
    // Waiting for a free socket of the pool is not silence of the server.
    req.once('socket', progress)
    req.on('error', (error) => {
      settle()
      reject(toTransportError(error, request.url))
    })
    req.on('close', settle)
    const chunks = request.body === undefined ? [] : Buffer.isBuffer(request.body) ? [request.body] : request.body
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += WRITE_SLICE) req.write(chunk.subarray(at, at + WRITE_SLICE), progress)
    }

    req.end()
  })
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`
}

/**
 * A response body as it arrives, up to `maxBody` bytes. With a Content-Length, one buffer of that
 * size is filled in place: a large blob is held once, not as chunks plus their concatenation.
 */
class ResponseBody {
  private whole: Buffer | undefined
  private readonly chunks: Buffer[] = []
  private size = 0

  constructor(
    /** The Content-Length of a response that has a body (not to a HEAD, not a 204 or 304). */
    contentLength: string | undefined,
    private readonly maxBody: number,
  ) {
    const declared = contentLength !== undefined && /^\d+$/.test(contentLength) ? Number(contentLength) : Number.NaN
    if (declared > 0 && declared <= maxBody) this.whole = Buffer.allocUnsafe(declared)
  }

  /** False, keeping nothing, once the body is over the limit. */
  add(chunk: Buffer): boolean {
    if (this.size + chunk.length > this.maxBody) return false
    if (this.whole && this.size + chunk.length > this.whole.length) {
      // More than announced (Node's parser does not let that happen): carry on as chunks.
      this.chunks.push(this.whole.subarray(0, this.size))
      this.whole = undefined
    }

    if (this.whole) chunk.copy(this.whole, this.size)
    else this.chunks.push(chunk)
    this.size += chunk.length
    return true
  }

  bytes(): Buffer {
    return this.whole ? this.whole.subarray(0, this.size) : Buffer.concat(this.chunks)
  }
}

const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

function toTransportError(error: Error & {code?: string}, url: URL): HttpTransportError {
  if (error instanceof HttpTransportError) return error
  if (error.code && UNTRUSTED_CERTIFICATE.has(error.code)) {
    return new HttpTransportError(`${url.host} presented a TLS certificate that is not trusted (${error.message})`, 'tls-untrusted', error.code)
  }

  // A plain-HTTP server answering a TLS handshake: "wrong version number" / packet length.
  if (error.code === 'EPROTO' || /wrong version number|packet length too long/i.test(error.message)) {
    return new HttpTransportError(`${url.host} does not speak TLS`, 'plain-http', error.code)
  }

  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'host name lookup failed',
    ETIMEDOUT: 'connection timed out',
    EPIPE: 'connection closed',
    EHOSTUNREACH: 'host unreachable',
  }
  const reason = (error.code && reasons[error.code]) ?? error.message
  return new HttpTransportError(`cannot reach ${url.host}: ${reason}`, 'connection', error.code)
}

/** An HTTPS agent trusting the system roots, NODE_EXTRA_CA_CERTS, and the given CA certificates. */
export function httpsAgentWithCa(caPem: readonly string[]): https.Agent {
  const extra = process.env.NODE_EXTRA_CA_CERTS ? [readFileSync(process.env.NODE_EXTRA_CA_CERTS, 'utf8')] : []
  return new https.Agent({keepAlive: true, maxSockets: 16, ca: [...tls.rootCertificates, ...extra, ...caPem]})
}

/**
 * An HTTPS agent that accepts any certificate: only for hosts named with --insecure-registry (pack's
 * meaning of the flag), which accept plain HTTP anyway. --registry-ca is the safer choice.
 */
export function unverifiedHttpsAgent(): https.Agent {
  return new https.Agent({keepAlive: true, maxSockets: 16, rejectUnauthorized: false})
}

export const USER_AGENT = 'pack-ts-plugin-sign/0.1 (+cosign-compatible)'
