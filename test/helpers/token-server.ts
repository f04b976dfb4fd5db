import {execFileSync} from 'node:child_process'
import {createPrivateKey, randomUUID, sign} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {type IncomingMessage, type Server, createServer} from 'node:http'
import {join} from 'node:path'

import {freePort} from './registry.js'

/**
 * A small token server in distribution's token-auth protocol, for a registry run with
 * `auth: token`: basic credentials (GET) or a refresh token (OAuth2 POST) are exchanged for an
 * ES256 JWT whose `access` grants each user only the actions it is allowed. Lets tests make a
 * user with pull but not push, and exercise the Bearer flow against the real registry.
 */
export interface TokenUser {
  password: string
  actions: ('pull' | 'push')[]
  /** Refresh token accepted for this user in the OAuth2 POST flow (docker's identitytoken). */
  refreshToken?: string
}

export interface TokenServer {
  realm: string
  service: string
  /** The registry `auth:` block to pass to startRegistry({authYaml}). */
  authYaml: string
  requests: {method: string; scope: string[]; account?: string}[]
  stop(): Promise<void>
}

export async function startTokenServer(dir: string, users: Record<string, TokenUser>): Promise<TokenServer> {
  const keyFile = join(dir, 'token.key')
  const certFile = join(dir, 'token.crt')
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], {stdio: 'ignore'})
  execFileSync(
    'openssl',
    ['req', '-new', '-x509', '-key', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=test-token-issuer'],
    {stdio: 'ignore'},
  )
  const key = createPrivateKey(readFileSync(keyFile))
  const certDer = pemToDer(readFileSync(certFile, 'utf8'))
  const port = await freePort()
  const service = 'test-registry'
  const issuer = 'test-token-issuer'
  const requests: TokenServer['requests'] = []

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`)
    const body = await readBody(req)
    let account: string | undefined
    let scopes: string[]
    if (req.method === 'POST') {
      const form = new URLSearchParams(body)
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean)
      account = Object.entries(users).find(([, u]) => u.refreshToken && u.refreshToken === form.get('refresh_token'))?.[0]
      if (!account) return deny(res)
    } else {
      scopes = url.searchParams.getAll('scope')
      const auth = req.headers.authorization
      if (auth?.startsWith('Basic ')) {
        const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':')
        if (!user || users[user]?.password !== rest.join(':')) return deny(res)
        account = user
      }
    }

    requests.push({method: req.method ?? 'GET', scope: scopes, account})
    const allowed = account ? users[account]!.actions : []
    const access = scopes.map(parseScope).filter((s) => s !== undefined).map((s) => ({...s, actions: s.actions.filter((a) => allowed.includes(a as 'pull'))}))
    const token = jwt(key, certDer, {iss: issuer, sub: account ?? '', aud: service, access})
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify({token, access_token: token, expires_in: 300}))
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const realm = `http://127.0.0.1:${port}/token`
  writeFileSync(join(dir, 'token-realm'), realm)
  return {
    realm,
    service,
    requests,
    authYaml: `auth:\n  token:\n    realm: ${realm}\n    service: ${service}\n    issuer: ${issuer}\n    rootcertbundle: ${certFile}\n`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

function deny(res: import('node:http').ServerResponse): void {
  res.writeHead(401, {'content-type': 'application/json'})
  res.end(JSON.stringify({details: 'invalid credentials'}))
}

function parseScope(scope: string): {type: string; name: string; actions: string[]} | undefined {
  const match = /^(repository):(.+):([a-z,*]+)$/.exec(scope)
  return match ? {type: match[1]!, name: match[2]!, actions: match[3]!.split(',')} : undefined
}

function jwt(key: ReturnType<typeof createPrivateKey>, certDer: Buffer, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000)
  const header = {typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')]}
  const payload = {...claims, iat: now, nbf: now - 10, exp: now + 300, jti: randomUUID()}
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = sign('sha256', Buffer.from(signingInput), {key, dsaEncoding: 'ieee-p1363'})
  return `${signingInput}.${b64url(signature)}`
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = ''
    req.on('data', (c: Buffer) => (data += c.toString()))
    req.on('end', () => resolve(data))
  })
}
