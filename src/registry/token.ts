import {PluginError} from '../errors.js'
import {keepExhaustion} from '../util/retry.js'
import {rememberSecret} from '../util/secrets.js'
import {type Challenge} from './challenge.js'
import {type RegistryCredential, basicHeader, describeSource} from './credentials.js'
import {HttpTransportError} from '../http/http.js'
import {type Send} from './transport/exchange.js'

// Distribution's token flow: GET the realm with service and scopes (basic credentials or
// anonymous), or POST an OAuth2 refresh-token grant when the credential is an identity token.

export interface Token {
  value: string
  expiresAt: number
}

const MAX_TOKEN_RESPONSE = 1024 * 1024
const CLIENT_ID = 'pack-ts-plugin-sign'

export async function fetchToken(
  registry: string,
  challenge: Challenge,
  scopes: string[],
  credential: RegistryCredential | undefined,
  /** The transport's retry and http layers. */
  send: Send,
  timeoutMs: number,
): Promise<Token> {
  const realm = challenge.params.realm
  if (!realm) throw new PluginError('REGISTRY_ERROR', `registry ${registry} asked for a bearer token without naming a realm`)
  let url: URL
  try {
    url = new URL(realm)
  } catch {
    throw new PluginError('REGISTRY_ERROR', `registry ${registry} named an invalid token realm`)
  }

  const service = challenge.params.service
  const response = await sendTokenRequest(send, url, service, scopes, credential, timeoutMs).catch((error: unknown) => {
    if (error instanceof HttpTransportError) {
      throw keepExhaustion(error, new PluginError('REGISTRY_UNREACHABLE', `token service for ${registry} at ${url.host}: ${error.message}`))
    }

    throw error
  })
  if (response.status === 401 || response.status === 403) {
    throw new PluginError(
      'REGISTRY_AUTH',
      `registry ${registry} refused ${describeSource(credential)}: token service answered HTTP ${response.status}; check the credentials for this registry`,
    )
  }

  if (response.status !== 200) {
    throw new PluginError('REGISTRY_ERROR', `token service for ${registry} answered HTTP ${response.status}`)
  }

  return parseTokenResponse(registry, response.body)
}

function sendTokenRequest(
  send: Send,
  url: URL,
  service: string | undefined,
  scopes: string[],
  credential: RegistryCredential | undefined,
  timeoutMs: number,
) {
  if (credential?.kind === 'identity-token') {
    const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: credential.token, client_id: CLIENT_ID})
    if (service) form.set('service', service)
    if (scopes.length > 0) form.set('scope', scopes.join(' '))
    // A refresh-token grant only hands out an access token: safe to send again.
    return send({
      method: 'POST',
      url,
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: Buffer.from(form.toString()),
      timeoutMs,
      maxBodyBytes: MAX_TOKEN_RESPONSE,
      idempotent: true,
    })
  }

  const query = new URL(url)
  if (service) query.searchParams.set('service', service)
  for (const scope of scopes) query.searchParams.append('scope', scope)
  const headers: Record<string, string> = {}
  if (credential?.kind === 'basic') headers.authorization = basicHeader(credential.username, credential.password)
  return send({method: 'GET', url: query, headers, timeoutMs, maxBodyBytes: MAX_TOKEN_RESPONSE, idempotent: true})
}

function parseTokenResponse(registry: string, body: Buffer): Token {
  let parsed: {token?: unknown; access_token?: unknown; refresh_token?: unknown; expires_in?: unknown}
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new PluginError('REGISTRY_ERROR', `token service for ${registry} answered with something that is not JSON`)
  }

  const value = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token
  if (typeof value !== 'string' || value.length === 0) {
    throw new PluginError('REGISTRY_ERROR', `token service for ${registry} answered without a token`)
  }

  // A token received is a credential: no registry text we print may carry it (util/secrets).
  rememberSecret(value)
  if (typeof parsed.refresh_token === 'string') rememberSecret(parsed.refresh_token)

  // Distribution's default lifetime is 60 s; renew a little early.
  const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 60
  return {value, expiresAt: Date.now() + Math.max(lifetime - 10, 5) * 1000}
}
