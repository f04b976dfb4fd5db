import {redact} from '../util/secrets.js'

// `DEBUG=pack-ts:http`: one line per HTTP exchange on stderr — method, URL, status (or why it
// failed), time, and the try when it was retried — for "why did my push fail" reports.
//
// DEBUG is read as the `debug` package reads it (oclif uses that package too): names separated by
// commas or spaces, `*` as a wildcard, a leading `-` to exclude; so `pack-ts:http`, `pack-ts:*`,
// `*` and `oclif:*,pack-ts:http` all turn it on.
//
// No header is logged, so no Authorization; a URL's user info and query values that carry
// credentials (pre-signed storage URLs, tokens in the query) are replaced, and the line goes
// through the process-wide secret redaction (util/secrets) last.

export const HTTP_NAMESPACE = 'pack-ts:http'

export interface LoggedRequest {
  method: string
  url: URL
  attempt?: number
}

let cached: {env: string | undefined; enabled: boolean} | undefined

/** Whether DEBUG turns the HTTP log on (re-read when DEBUG changes). */
export function httpDebugEnabled(): boolean {
  const env = process.env.DEBUG
  if (cached === undefined || cached.env !== env) cached = {env, enabled: namespaceEnabled(HTTP_NAMESPACE, env)}
  return cached.enabled
}

/** The `debug` package's rule: some name matches, and no `-name` does. */
export function namespaceEnabled(namespace: string, debug: string | undefined): boolean {
  const names = (debug ?? '').split(/[\s,]+/).filter((name) => name.length > 0)
  const matches = (pattern: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(namespace)
  if (names.some((name) => name.startsWith('-') && matches(name.slice(1)))) return false
  return names.some((name) => !name.startsWith('-') && matches(name))
}

/** One line for an exchange that answered (`status`) or failed (`error`). */
export function formatExchange(request: LoggedRequest, result: {status: number} | {error: unknown}, ms: number): string {
  const outcome = 'status' in result ? String(result.status) : `failed (${describe(result.error)})`
  const attempt = request.attempt && request.attempt > 1 ? ` attempt ${request.attempt}` : ''
  return redact(`${HTTP_NAMESPACE} ${request.method} ${redactUrl(request.url)} ${outcome} ${ms}ms${attempt}`)
}

export function logExchange(request: LoggedRequest, result: {status: number} | {error: unknown}, ms: number): void {
  process.stderr.write(`${formatExchange(request, result, ms)}\n`)
}

/** Query parameters whose values are credentials: S3/GCS/Azure pre-signed URLs, OAuth and registry tokens. */
const SECRET_PARAM = /(^|[-_.])(sig|signature|token|access_token|refresh_token|id_token|credential|secret|password|passwd|key|apikey|api_key|auth|authorization|code)$/i
const REDACTED = '<redacted>'

/** The URL without user info, and without the values of query parameters that carry credentials. */
export function redactUrl(url: URL): string {
  const userinfo = url.username || url.password ? `${REDACTED}@` : ''
  let query = ''
  if (url.search) {
    const parts = url.search.slice(1).split('&').map((part) => {
      const at = part.indexOf('=')
      const name = at < 0 ? part : part.slice(0, at)
      let decoded = name
      try {
        decoded = decodeURIComponent(name)
      } catch {
        // kept as is
      }

      return at >= 0 && SECRET_PARAM.test(decoded) ? `${name}=${REDACTED}` : part
    })
    query = `?${parts.join('&')}`
  }

  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}`
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const kind = (error as {kind?: unknown}).kind
    return typeof kind === 'string' ? `${kind}: ${error.message}` : error.message
  }

  return String(error)
}
