import {InternalError} from '@sigstore/sign'

import {messageOf, PluginError} from '../errors.js'
import {redact} from '../util/secrets.js'

// Turns a failure talking to Fulcio, Rekor or a TSA into a PluginError. @sigstore/sign wraps an
// HTTP answer in an InternalError whose cause carries `statusCode`; anything without a status
// never got an answer (refused, reset, DNS, timeout). Messages name the service and its URL and
// never include request bodies: a Fulcio request carries the identity token.

export type SigstoreService = 'Fulcio' | 'Rekor' | 'the timestamp authority'

export function serviceError(error: unknown, service: SigstoreService, url: string): PluginError {
  if (error instanceof PluginError) return error
  const cause = error instanceof InternalError && error.cause !== undefined ? error.cause : error
  const status = (cause as {statusCode?: unknown} | undefined)?.statusCode
  // @sigstore/sign's HTTPError message starts with `(status) `, which the message says already.
  if (typeof status === 'number') return httpStatusError(status, messageOf(cause).replace(/^\(\d{3}\) /, ''), service, url, error)
  return new PluginError('SIGSTORE_SERVICE', `${service} at ${url} is unreachable: ${oneLine(messageOf(cause))}`, {cause: error})
}

/**
 * The service's own words are kept (they say what was wrong), with every secret the process holds
 * taken out first: a Fulcio that echoes its request would otherwise print the identity token.
 */
export function httpStatusError(status: number, detail: string, service: SigstoreService, url: string, cause?: unknown): PluginError {
  const said = detail.trim() === '' ? '' : `: ${oneLine(detail)}`
  // 401/403 from Fulcio means the identity token was refused.
  const hint = service === 'Fulcio' && (status === 401 || status === 403) ? '; the identity token was refused (expired, not for audience "sigstore", or from an issuer this Fulcio does not trust)' : ''
  return new PluginError('SIGSTORE_SERVICE', `${service} at ${url} answered HTTP ${status}${said}${hint}`, {cause})
}

/** Server text as one line: secrets out first (so a cut never leaves part of one), then cut short. */
export function oneLine(text: string): string {
  const line = redact(text).replaceAll(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
