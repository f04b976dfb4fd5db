import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'

/**
 * The one place that speaks HTTP. Node's agents give keep-alive pools per origin; requests carry
 * a timeout so a stalled registry fails instead of hanging. Responses are buffered up to a limit
 * (manifests, tokens, small blobs); large content is streamed by `requestStream`.
 */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
  url: URL
  headers?: Record<string, string>
  body?: Buffer
  timeoutMs?: number
  /** Largest body we accept; beyond it the request fails (defends against hostile registries). */
  maxBodyBytes?: number
  /** HTTPS agent trusting extra CA certificates (--registry-ca); the default trust otherwise. */
  httpsAgent?: https.Agent
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
  const maxBody = request.maxBodyBytes ?? DEFAULT_MAX_BODY
  return new Promise((resolve, reject) => {
    const secure = request.url.protocol === 'https:'
    const headers: Record<string, string> = {'user-agent': USER_AGENT, ...request.headers}
    if (request.body) headers['content-length'] = String(request.body.length)
    const req = (secure ? https : http).request(
      request.url,
      {method: request.method, headers, agent: secure ? (request.httpsAgent ?? agents.https) : agents.http},
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > maxBody) {
            req.destroy(new HttpTransportError(`response from ${request.url.host} is larger than ${maxBody} bytes`, 'too-large'))
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
        res.on('error', (error) => reject(toTransportError(error, request.url)))
      },
    )
    req.setTimeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => {
      req.destroy(new HttpTransportError(`no answer from ${request.url.host} within ${(request.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000}s`, 'timeout'))
    })
    req.on('error', (error) => reject(toTransportError(error, request.url)))
    req.end(request.body)
  })
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

export const USER_AGENT = 'pack-ts-plugin-sign/0.1 (+cosign-compatible)'
