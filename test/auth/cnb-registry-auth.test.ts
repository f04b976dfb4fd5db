import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCnbRegistryAuth} from '../../src/auth/cnb-registry-auth.js'
import {SENTINEL, assertNoSecret, basic} from './fixtures.js'

const parse = async (raw: string | undefined) => parseCnbRegistryAuth(raw)

describe('CNB_REGISTRY_AUTH', () => {
  it('reads Basic and Bearer entries, scheme case-insensitively', () => {
    const entries = parseCnbRegistryAuth(
      JSON.stringify({'127.0.0.1:5000': `Basic ${basic('bob', 'p:a:ss')}`, 'ghcr.io': 'Bearer tok123', 'quay.io': `basic ${basic('q', 'w')}`}),
    )
    assert.deepEqual(entries['127.0.0.1:5000'], {kind: 'basic', username: 'bob', password: 'p:a:ss'})
    assert.deepEqual(entries['ghcr.io'], {kind: 'bearer', token: 'tok123'})
    assert.deepEqual(entries['quay.io'], {kind: 'basic', username: 'q', password: 'w'})
  })

  it('treats unset or empty as no entries', () => {
    assert.deepEqual(parseCnbRegistryAuth(undefined), {})
    assert.deepEqual(parseCnbRegistryAuth('  '), {})
  })

  const bad: Array<[string, string, RegExp]> = [
    ['malformed JSON', `{"ghcr.io": "Basic ${SENTINEL}"`, /CNB_REGISTRY_AUTH is not valid JSON/],
    ['trailing garbage', `{"ghcr.io": "Bearer ${SENTINEL}"} x`, /CNB_REGISTRY_AUTH is not valid JSON/],
    ['an array', `["Bearer ${SENTINEL}"]`, /must be a JSON object/],
    ['a non-string value', `{"ghcr.io": {"token": "${SENTINEL}"}}`, /entry for "ghcr.io" must be a string/],
    ['an unknown scheme', `{"ghcr.io": "Token ${SENTINEL}"}`, /entry for "ghcr.io" must start with "Basic " or "Bearer "/],
    ['Basic without base64', `{"ghcr.io": "Basic ${SENTINEL}!"}`, /not base64 of "username:password"/],
    ['Basic without a colon', `{"ghcr.io": "Basic ${Buffer.from(SENTINEL).toString('base64')}"}`, /not base64/],
  ]
  for (const [what, raw, pattern] of bad) {
    it(`rejects ${what} with CONFIG_INVALID and without echoing the value`, async () => {
      await assert.rejects(parse(raw), (error: Error & {code?: string}) => {
        assert.equal(error.code, 'CONFIG_INVALID')
        assert.match(error.message, pattern)
        assertNoSecret(error)
        assertNoSecret(error, [Buffer.from(SENTINEL).toString('base64')])
        return true
      })
    })
  }
})
