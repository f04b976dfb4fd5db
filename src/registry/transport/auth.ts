import {type HttpResponse} from '../../http/http.js'
import {rememberBasicCredential, rememberSecret} from '../../util/secrets.js'
import {type Challenge, parseChallenge} from '../challenge.js'
import {type CredentialLookup, type RegistryCredential, basicHeader, describeSource} from '../credentials.js'
import {type Scope, scopeString} from '../scope.js'
import {type Token, fetchToken} from '../token.js'
import {type Send, header} from './exchange.js'

/**
 * Auth and tokens: the registry's challenge (learnt from the first 401, or a ping), the
 * credential (resolved once, and remembered as a secret so no text we print carries it), and a
 * bearer token per scope set, fetched from the challenge's realm and renewed before it expires.
 * Callers speak in scopes; which header that takes is decided here.
 */
export class Authenticator {
  private challenge: Challenge | null | undefined
  private credential: Promise<RegistryCredential | undefined> | undefined
  private readonly tokens = new Map<string, Promise<Token>>()

  constructor(
    readonly registry: string,
    private readonly credentials: CredentialLookup,
    /** Token requests go through retry and http (no scheme probe: the realm is an absolute URL). */
    private readonly tokenSend: Send,
    private readonly timeoutMs: number,
  ) {}

  /** Whether a ping (GET /v2/) already taught us the challenge, or that there is none. */
  get known(): boolean {
    return this.challenge !== undefined
  }

  /** What GET /v2/ answered: 401 names the challenge, 2xx says there is none; false for anything else. */
  learnFromPing(response: HttpResponse): boolean {
    if (response.status === 401) {
      this.challenge = parseChallenge(header(response, 'www-authenticate')) ?? null
      return true
    }

    if (response.status >= 200 && response.status < 300) {
      this.challenge = null
      return true
    }

    return false
  }

  /**
   * Sends with the credentials the challenge asks for. The challenge is learnt from the first
   * 401 rather than a separate ping, which saves a round trip per registry (and is free on
   * registries without auth); a first challenge, or a bearer token that expired or lacked a
   * scope, gets one fresh token and one more send.
   */
  async send(scopes: Scope[], send: (authorization: string | undefined) => Promise<HttpResponse>): Promise<HttpResponse> {
    // What this request was sent with: a concurrent request may learn the challenge meanwhile.
    const sentWith = this.challenge
    const response = await send(await this.authorization(scopes))
    if (response.status !== 401) {
      if (this.challenge === undefined && response.status < 500) this.challenge = null
      return response
    }

    const fresh = parseChallenge(header(response, 'www-authenticate'))
    if (!fresh || (sentWith?.scheme === 'basic' && fresh.scheme === 'basic')) return response
    this.challenge = fresh
    this.tokens.delete(tokenKey(scopes))
    return send(await this.authorization(scopes))
  }

  /** Where credentials came from, for error messages. */
  async credentialSource(): Promise<string> {
    return describeSource(await this.resolveCredential())
  }

  private async authorization(scopes: Scope[]): Promise<string | undefined> {
    const credential = await this.resolveCredential()
    if (credential?.kind === 'bearer') return `Bearer ${credential.token}`
    if (!this.challenge) return undefined
    if (this.challenge.scheme === 'basic') {
      return credential?.kind === 'basic' ? basicHeader(credential.username, credential.password) : undefined
    }

    const token = await this.token(scopes, credential)
    return `Bearer ${token.value}`
  }

  private async token(scopes: Scope[], credential: RegistryCredential | undefined): Promise<Token> {
    const key = tokenKey(scopes)
    const cached = this.tokens.get(key)
    if (cached) {
      const token = await cached.catch(() => undefined)
      if (token && token.expiresAt > Date.now()) return token
    }

    const pending = fetchToken(this.registry, this.challenge!, scopes.map(scopeString), credential, this.tokenSend, this.timeoutMs)
    this.tokens.set(key, pending)
    pending.catch(() => this.tokens.delete(key))
    return pending
  }

  private resolveCredential(): Promise<RegistryCredential | undefined> {
    this.credential ??= this.credentials.resolve(this.registry).then((credential) => {
      // Whatever source it came from (hook, CNB_REGISTRY_AUTH, docker config, helper): no
      // registry or token-server text we print may carry it.
      if (credential?.kind === 'basic') rememberBasicCredential(credential.username, credential.password)
      else if (credential) rememberSecret(credential.token)
      return credential
    })
    return this.credential
  }
}

function tokenKey(scopes: Scope[]): string {
  return scopes.map(scopeString).sort().join(' ')
}
