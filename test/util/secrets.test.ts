import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {redact, rememberBasicCredential, rememberSecret} from '../../src/util/secrets.js'

describe('util/secrets: what server text may not carry', () => {
  it('takes out a remembered secret, in the forms a server echoes it (as is, JSON-escaped, URL-encoded)', () => {
    const secret = 'pa"ss w/rd+1'
    rememberSecret(secret)
    assert.equal(redact(`got ${secret}`), 'got <redacted>')
    assert.equal(redact(`{"password":${JSON.stringify(secret)}}`), '{"password":"<redacted>"}')
    assert.equal(redact(`refresh_token=${encodeURIComponent(secret)}&x`), 'refresh_token=<redacted>&x')
    assert.equal(redact(new URLSearchParams({refresh_token: secret}).toString()), 'refresh_token=<redacted>')
  })

  it('a Basic credential: the password and the base64 user:password of the header', () => {
    rememberBasicCredential('ci', 'basic-secret-1')
    const header = `Basic ${Buffer.from('ci:basic-secret-1').toString('base64')}`
    assert.equal(redact(`Authorization: ${header}`), 'Authorization: Basic <redacted>')
  })

  it('a JWT: whole, and its signature part alone', () => {
    const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu'
    rememberSecret(token)
    assert.equal(redact(`bad token ${token}`), 'bad token <redacted>')
    assert.equal(redact('signature c2lnbmF0dXJlLXBhcnQtb2YtdGhlLXRva2Vu invalid'), 'signature <redacted> invalid')
  })

  it('leaves values too short to protect alone, and text without secrets unchanged', () => {
    rememberSecret('abc')
    rememberSecret(Buffer.from(''))
    rememberSecret(undefined)
    assert.equal(redact('abc is not redacted'), 'abc is not redacted')
  })
})
