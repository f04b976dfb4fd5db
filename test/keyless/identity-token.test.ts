import assert from 'node:assert/strict'
import {createServer} from 'node:http'
import {type AddressInfo} from 'node:net'
import {describe, it} from 'node:test'

import {identityToken} from '../../src/keyless/index.js'
import {rejectsWith} from './support.js'

function token(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({alg: 'ES256'})}.${part(claims)}.c2lnbmF0dXJl`
}

const FLAG = token({sub: 'from-flag', iss: 'https://issuer.test'})
const ENV = token({sub: 'from-env', iss: 'https://issuer.test'})

describe('identity token sources, in sigstore order', () => {
  it('takes --identity-token before SIGSTORE_ID_TOKEN', async () => {
    const found = identityToken({identityToken: FLAG, env: {SIGSTORE_ID_TOKEN: ENV}})
    assert.equal(found.source, 'identity-token')
    assert.equal(await found.getToken(), FLAG)
  })

  it('takes SIGSTORE_ID_TOKEN before the CI provider', async () => {
    const env = {SIGSTORE_ID_TOKEN: ENV, ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:1/', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x'}
    const found = identityToken({env})
    assert.equal(found.source, 'SIGSTORE_ID_TOKEN')
    assert.equal(await found.getToken(), ENV)
  })

  it('an empty --identity-token falls through to the environment', () => {
    assert.equal(identityToken({identityToken: '  ', env: {SIGSTORE_ID_TOKEN: ENV}}).source, 'SIGSTORE_ID_TOKEN')
  })

  it("fetches GitHub Actions' token over HTTP with audience sigstore", async (t) => {
    const ghaToken = token({sub: 'repo:pack-ts/demo:ref:refs/heads/main', iss: 'https://token.actions.githubusercontent.com'})
    const seen: {url?: string; authorization?: string} = {}
    const server = createServer((req, res) => {
      seen.url = req.url
      seen.authorization = req.headers.authorization
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({value: ghaToken}))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
    // CIContextProvider reads process.env itself, so the test sets the real variables.
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-secret',
    }
    const saved = {...process.env}
    Object.assign(process.env, env)
    delete process.env.SIGSTORE_ID_TOKEN
    t.after(() => {
      for (const key of Object.keys(env)) delete process.env[key]
      Object.assign(process.env, saved)
    })
    const found = identityToken({env})
    assert.equal(found.source, 'github-actions')
    assert.equal(await found.getToken(), ghaToken)
    assert.equal(seen.authorization, 'Bearer request-secret')
    assert.match(seen.url ?? '', /[?&]audience=sigstore(&|$)/)
  })

  it('with no source at all, names the three ways to provide one', async () => {
    const error = await rejectsWith(() => identityToken({env: {}}), 'USAGE', '--identity-token', 'SIGSTORE_ID_TOKEN', 'GitHub Actions')
    assert.match(error.message, /id-token: write/)
  })

  it('in a GitHub Actions job without id-token permission, says to add it', async () => {
    await rejectsWith(() => identityToken({env: {GITHUB_ACTIONS: 'true'}}), 'USAGE', 'permissions: id-token: write', 'this GitHub Actions job')
  })

  it('in GitLab CI, says how to declare the token', async () => {
    await rejectsWith(() => identityToken({env: {GITLAB_CI: 'true'}}), 'USAGE', 'id_tokens: SIGSTORE_ID_TOKEN')
  })

  it('refuses a value that is not a JWT, without echoing it', async () => {
    const secret = 'not-a-jwt-but-secret'
    const error = await rejectsWith(() => identityToken({identityToken: secret}), 'USAGE', '--identity-token', 'not a JWT')
    assert.ok(!error.message.includes(secret))
  })

  it('refuses an expired token up front', async () => {
    const expired = token({sub: 'x', exp: Math.floor(Date.now() / 1000) - 60})
    await rejectsWith(() => identityToken({env: {SIGSTORE_ID_TOKEN: expired}}), 'USAGE', 'SIGSTORE_ID_TOKEN', 'expired')
  })
})
