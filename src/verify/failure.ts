import {messageOf} from '../errors.js'

/** One sentence for a @sigstore/verify failure, by its code, with the flag that skips it if any. */
export function verificationFailure(error: unknown): string {
  const code = (error as {code?: unknown}).code
  const message = messageOf(error)
  const cause = (error as {cause?: unknown}).cause
  const detail = cause === undefined ? message : `${message}: ${messageOf(cause)}`
  switch (code) {
    case 'CERTIFICATE_ERROR':
      return /SCT/.test(message)
        ? `the certificate carries no SCT a CT log in the trusted root signed (${detail}); --insecure-ignore-sct skips this check`
        : `the certificate does not chain to a CA in the trusted root at the signing time (${detail})`
    case 'TIMESTAMP_ERROR':
      return `the signing time could not be established (${detail})`
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return `the transparency-log entry does not verify against a log in the trusted root (${detail})`
    case 'TLOG_BODY_ERROR':
      return `the transparency-log entry is for a different signature (${detail})`
    case 'SIGNATURE_ERROR':
      return 'the signature does not verify with the signing key'
    default:
      return `verification failed: ${detail}`
  }
}
