import {type HttpRequest, type HttpResponse, type RequestBody} from '../../http/http.js'
import {type Scope} from '../scope.js'

// What passes between the transport's layers (transport.ts composes them): a request as a
// registry operation states it, and one HTTP exchange as the lower layers send it.

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

/** One HTTP exchange on its way down: scheme probe and http below, retry above them. */
export interface Exchange extends HttpRequest {
  headers: Record<string, string>
  /** The --registry-timeout of one try (silence), before the retry layer cuts it. */
  timeoutMs: number
  /** May be tried again after a transient failure (retry.ts). */
  idempotent: boolean
  /** Follow 3xx (redirects.ts). */
  followRedirects?: boolean
}

/** A layer's view of the layers below it. */
export type Send = (exchange: Exchange) => Promise<HttpResponse>

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export function isIdempotent(request: Pick<RegistryRequest, 'method' | 'idempotent'>): boolean {
  return request.idempotent ?? (request.method === 'GET' || request.method === 'HEAD')
}
