import {inspect} from 'node:util'

/**
 * A credential for one registry, in the three forms the registry token flow can use (the same
 * split go-containerregistry makes in authn.AuthConfig).
 */
export type Credential =
  /** Username and password: sent as Basic auth, or to the token endpoint. */
  | {kind: 'basic'; username: string; password: string}
  /** A registry token (docker `registrytoken`, CNB `Bearer`): sent as-is as `Bearer <token>`. */
  | {kind: 'bearer'; token: string}
  /** An OAuth2 refresh token (docker `identitytoken`): POSTed to the token endpoint as refresh_token. */
  | {kind: 'identity-token'; token: string; username?: string}

/** Where a credential came from, for debug output; never says what it is. */
export type CredentialSource =
  | 'hook'
  | 'CNB_REGISTRY_AUTH'
  | 'docker-config'
  | `credential-helper:${string}`
  | 'anonymous'

/**
 * A credential as the keychain hands it out: plus its source and, for docker config and
 * credential helpers, the config file that supplied or configured it.
 */
export type ResolvedCredential = Credential & {source: Exclude<CredentialSource, 'anonymous'>; location?: string}

/**
 * A copy of a credential whose JSON and util.inspect forms hide the secret, so that an
 * accidental log line or an object embedded in an error cannot print it. Property access is
 * unchanged; the guards are non-enumerable so spreading or deepEqual see a plain object.
 */
export function redacted<T extends Credential>(credential: T): T {
  const copy = {...credential}
  const safe = (): Record<string, string> => {
    const shown: Record<string, string> = {kind: copy.kind}
    if ('username' in copy && copy.username !== undefined) shown.username = copy.username
    if ('source' in copy && typeof copy.source === 'string') shown.source = copy.source
    shown.secret = '<redacted>'
    return shown
  }

  Object.defineProperty(copy, 'toJSON', {value: safe, enumerable: false})
  Object.defineProperty(copy, inspect.custom, {value: () => safe(), enumerable: false})
  return copy
}

/**
 * Decodes docker's `auth` / HTTP Basic payload (base64 of `user:password`). Undefined when it is
 * not base64 or has no colon; callers turn that into an error naming the place, not the value.
 */
export function decodeBasic(encoded: string): {username: string; password: string} | undefined {
  const compact = encoded.trim()
  // Buffer.from silently skips bad characters, so check the alphabet first.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined
  const decoded = Buffer.from(compact, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  // docker trims NULs from the password (some old tools padded it).
  return {username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '')}
}
