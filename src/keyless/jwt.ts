import {PluginError} from '../errors.js'

// Reads an OIDC identity token's claims without verifying it: Fulcio verifies the token; we only
// need its subject (for the proof of possession) and want to refuse garbage before a round trip.
// Errors name where the token came from, never the token.

export interface TokenClaims {
  iss?: string
  sub?: string
  email?: string
  exp?: number
  [claim: string]: unknown
}

export function tokenClaims(token: string, source: string): TokenClaims {
  const parts = token.trim().split('.')
  if (parts.length !== 3 || parts.some((part) => part === '')) {
    throw new PluginError('USAGE', `the identity token from ${source} is not a JWT (expected three dot-separated parts)`)
  }

  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new Error('claims are not an object')
    return claims as TokenClaims
  } catch (error) {
    throw new PluginError('USAGE', `the identity token from ${source} is not a JWT: its claims do not decode as JSON`, {cause: error})
  }
}

/** What Fulcio expects signed as proof of possession: the email claim when there is one, else `sub`. */
export function tokenSubject(claims: TokenClaims, source: string): string {
  const subject = typeof claims.email === 'string' && claims.email !== '' ? claims.email : claims.sub
  if (typeof subject !== 'string' || subject === '') {
    throw new PluginError('USAGE', `the identity token from ${source} has neither an email nor a sub claim`)
  }

  return subject
}

/** Refuses a token that has already expired: Fulcio would, with a less helpful message. */
export function assertNotExpired(claims: TokenClaims, source: string, now = Date.now()): void {
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= now) {
    const when = new Date(claims.exp * 1000).toISOString()
    throw new PluginError('USAGE', `the identity token from ${source} expired at ${when}; request a fresh one`)
  }
}
