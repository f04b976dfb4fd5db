import {type ErrorCode, PluginError} from '../errors.js'
import {keepExhaustion} from '../util/retry.js'
import {redact} from '../util/secrets.js'
import {type HttpResponse} from '../http/http.js'

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
    /** The registry's own `CODE: message` text (redacted, cut short), for classifiers. */
    readonly diagnostics = '',
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
  // 405 to a write: the registry (a read-only mirror, a pull-through cache) takes no pushes at all.
  const readOnly = response.status === 405 && /^(writing|uploading|push|cancelling)/.test(what)
  const message = readOnly
    ? `registry ${registry} does not allow pushes: ${what} was refused with ${status} Method Not Allowed${codeText} (a read-only registry, mirror or pull-through cache?); write the signatures to a repository that accepts pushes with --repository (repository in cosign.toml)`
    : (messages[code] ?? messages.REGISTRY_ERROR!)
  // An answer the transport already retried (a 503 four times) stays retried: no loop above tries again.
  return keepExhaustion(response, new RegistryResponseError(code, message, response.status, registryCodesOf(response), diagnostics))
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
    // Redacted before it is cut short, so no part of a secret the registry echoed is left.
    return parts.length > 0 ? redact(parts.join('; ')).slice(0, 300) : undefined
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

/**
 * A registry refusing to move a tag because tag immutability is on. There is no standard answer;
 * the ones met in the field all say "immutable" with a 4xx:
 * - Harbor: 412 `PRECONDITION: Failed to process request due to 'repo:tag' configured as immutable.`
 * - ECR: 400 `TAG_INVALID: The image tag 'tag' already exists in the 'repo' repository and cannot be
 *   overwritten because the repository is immutable.` (newer: "because the tag is immutable")
 * Meaningful only for a manifest PUT to a tag that already exists.
 */
export function isImmutableTagRefusal(error: unknown): error is RegistryResponseError {
  return (
    error instanceof RegistryResponseError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 401 &&
    (error.registryCodes.includes('TAG_IMMUTABLE') || /\bimmutable\b/i.test(error.diagnostics))
  )
}
