import {type ErrorCode, PluginError} from '../errors.js'
import {type HttpResponse} from './http.js'

/**
 * Turns a registry's non-success answer into one user sentence that keeps the registry's own
 * diagnostic code (MANIFEST_UNKNOWN, DENIED, …), like go-containerregistry does.
 */
/** A registry's refusal, keeping its HTTP status and diagnostic codes for callers that retry. */
export class RegistryResponseError extends PluginError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status: number,
    readonly registryCodes: string[],
  ) {
    super(code, message)
  }
}

export function registryError(registry: string, what: string, response: HttpResponse, hint?: string): RegistryResponseError {
  const diagnostics = diagnosticsOf(response)
  const codeText = diagnostics ? ` (${diagnostics})` : ''
  const suffix = hint ? `; ${hint}` : ''
  const code = errorCodeFor(response.status)
  const status = `HTTP ${response.status}`
  const messages: Record<string, string> = {
    REGISTRY_AUTH:
      response.status === 401
        ? `registry ${registry} refused ${what}: not authorized, ${status}${codeText}${suffix || '; check the credentials for this registry (docker login, CNB_REGISTRY_AUTH or the host)'}`
        : `registry ${registry} denied ${what}: ${status}${codeText}${suffix || '; the credentials in use lack permission for this repository'}`,
    REGISTRY_NOT_FOUND: `${what} not found on ${registry}${codeText}${suffix}`,
    REGISTRY_ERROR: `registry ${registry} failed ${what}: ${status}${codeText}${suffix}`,
  }
  return new RegistryResponseError(code, messages[code] ?? messages.REGISTRY_ERROR!, response.status, registryCodesOf(response))
}

function registryCodesOf(response: HttpResponse): string[] {
  try {
    const body = JSON.parse(response.body.toString('utf8')) as {errors?: {code?: unknown}[]}
    return (body.errors ?? []).flatMap((e) => (typeof e.code === 'string' ? [e.code] : []))
  } catch {
    return []
  }
}

function errorCodeFor(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'REGISTRY_AUTH'
  if (status === 404) return 'REGISTRY_NOT_FOUND'
  return 'REGISTRY_ERROR'
}

/** `CODE: message` pairs from the distribution error body, cut short: bodies are untrusted. */
function diagnosticsOf(response: HttpResponse): string | undefined {
  try {
    const body = JSON.parse(response.body.toString('utf8')) as {errors?: {code?: unknown; message?: unknown}[]}
    const parts = (body.errors ?? [])
      .slice(0, 3)
      .map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x.length > 0).join(': '))
      .filter((x) => x.length > 0)
    return parts.length > 0 ? parts.join('; ').slice(0, 300) : undefined
  } catch {
    return undefined
  }
}

/**
 * distribution rewrites a blob's link file in place when the same blob is uploaded twice at once,
 * and a concurrent manifest PUT can then see it as unknown: a transient refusal, worth retrying.
 */
export function isTransientBlobRace(error: unknown): boolean {
  return (
    error instanceof RegistryResponseError &&
    error.status === 400 &&
    error.registryCodes.some((code) => code === 'MANIFEST_BLOB_UNKNOWN' || code === 'DIGEST_INVALID' || code === 'BLOB_UNKNOWN')
  )
}
