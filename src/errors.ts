// Every failure a user can cause or meet is a PluginError: a code (stable, asserted by tests and
// documented with its exit code), and one sentence written for the user — what went wrong, where,
// and how to fix it. Library code throws these; only the command layer prints them.

export type ErrorCode =
  | 'USAGE' // bad flag value or combination
  | 'CONFIG_INVALID' // cosign.toml / report.toml malformed or failing the schema
  | 'REFERENCE_INVALID' // an image reference that does not parse
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALID' // unreadable / garbage PEM, unsupported algorithm or scrypt parameters
  | 'KEY_PASSWORD' // wrong or missing password
  | 'KEY_EXISTS' // generate-key-pair would overwrite
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_AUTH' // 401/403: credentials rejected or access denied
  | 'REGISTRY_NOT_FOUND' // repository, manifest or blob unknown
  | 'REGISTRY_ERROR' // any other registry answer we cannot use
  | 'DIGEST_MISMATCH' // content or tag digest differs from what was expected
  | 'CREDENTIAL_HELPER' // docker-credential-* failed
  | 'PREFLIGHT_FAILED' // one or more preflight problems (listed in the message)
  | 'SIGNING_INCOMPLETE' // some images were not signed
  | 'VERIFY_FAILED' // no signature verified
  | 'SBOM_INVALID'
  | 'SIGSTORE_SERVICE' // Fulcio, Rekor or the TSA unreachable, refusing, or answering unusably
  | 'HOST_CONTRACT' // pack-ts host broke the documented contract
  | 'INTERRUPTED' // SIGINT (Ctrl-C): stopped early, 128 + 2
  | 'TERMINATED' // SIGTERM: stopped early, 128 + 15

/** Exit codes by failure class; documented in README ("Exit codes"). */
export const EXIT_CODES: Record<ErrorCode, number> = {
  USAGE: 2,
  CONFIG_INVALID: 2,
  REFERENCE_INVALID: 2,
  KEY_NOT_FOUND: 3,
  KEY_INVALID: 3,
  KEY_PASSWORD: 3,
  KEY_EXISTS: 3,
  REGISTRY_UNREACHABLE: 4,
  REGISTRY_AUTH: 5,
  CREDENTIAL_HELPER: 5,
  REGISTRY_NOT_FOUND: 6,
  REGISTRY_ERROR: 4,
  DIGEST_MISMATCH: 7,
  PREFLIGHT_FAILED: 8,
  SIGNING_INCOMPLETE: 9,
  VERIFY_FAILED: 10,
  SBOM_INVALID: 11,
  HOST_CONTRACT: 12,
  SIGSTORE_SERVICE: 13,
  INTERRUPTED: 130,
  TERMINATED: 143,
}

export class PluginError extends Error {
  override readonly name = 'PluginError'
  readonly code: ErrorCode
  /** What the run did get done, for `--json` (e.g. each image's status when some were not signed). */
  readonly details?: unknown

  constructor(code: ErrorCode, message: string, options?: {cause?: unknown; details?: unknown}) {
    super(message, options)
    this.code = code
    if (options?.details !== undefined) this.details = options.details
  }

  get exitCode(): number {
    return EXIT_CODES[this.code]
  }
}

export function isPluginError(error: unknown): error is PluginError {
  return error instanceof PluginError
}

/** The message of an unknown thrown value, for wrapping into a PluginError. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
