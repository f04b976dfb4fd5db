import {InternalError} from '@sigstore/sign'

import {messageOf, PluginError} from '../errors.js'

/**
 * Turns a failure talking to Fulcio, Rekor or a TSA into a PluginError. @sigstore/sign wraps an
 * HTTP answer in an InternalError whose cause carries `statusCode`; anything without a status
 * never got an answer (refused, reset, DNS, timeout). Messages name the service and its URL and
 * never include request bodies: a Fulcio request carries the identity token.
 */
export type SigstoreService = 'Fulcio' | 'Rekor' | 'the timestamp authority'

export function serviceError(error: unknown, service: SigstoreService, url: string): PluginError {
  if (error instanceof PluginError) return error
  const cause = error instanceof InternalError && error.cause !== undefined ? error.cause : error
  const status = (cause as {statusCode?: unknown} | undefined)?.statusCode
  if (typeof status === 'number') return httpStatusError(status, messageOf(cause), service, url, error)
  return new PluginError('REGISTRY_UNREACHABLE', `${service} at ${url} is unreachable: ${messageOf(cause)}`, {cause: error})
}

export function httpStatusError(status: number, detail: string, service: SigstoreService, url: string, cause?: unknown): PluginError {
  // 401/403 from Fulcio means the identity token was refused: an authentication problem.
  const code = status === 401 || status === 403 ? 'REGISTRY_AUTH' : 'REGISTRY_ERROR'
  const said = detail.trim() === '' ? '' : `: ${oneLine(detail)}`
  return new PluginError(code, `${service} at ${url} answered HTTP ${status}${said}`, {cause})
}

function oneLine(text: string): string {
  const line = text.replaceAll(/\s+/g, ' ').trim()
  return line.length > 300 ? `${line.slice(0, 300)}…` : line
}
