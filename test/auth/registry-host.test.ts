import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {helperServerUrl, lookupByRegistry, normalizeRegistry} from '../../src/auth/registry-host.js'
import {DOCKER_HUB} from '../../src/reference/reference.js'

describe('normalizeRegistry', () => {
  const cases: Array<[string, string]> = [
    ['ghcr.io', 'ghcr.io'],
    ['GHCR.io', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['http://127.0.0.1:5000/v1/', '127.0.0.1:5000'],
    ['127.0.0.1:5000/v2/', '127.0.0.1:5000'],
    ['  localhost:5000  ', 'localhost:5000'],
    ['https://user@registry.example.com/path', 'registry.example.com'],
    ['docker.io', DOCKER_HUB],
    ['index.docker.io', DOCKER_HUB],
    ['registry-1.docker.io', DOCKER_HUB],
    ['https://index.docker.io/v1/', DOCKER_HUB],
    ['https://registry-1.docker.io/v2/', DOCKER_HUB],
    ['', ''],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => assert.equal(normalizeRegistry(input), expected))
  }

  it('asks helpers for Hub under docker\'s legacy URL, others by host', () => {
    assert.equal(helperServerUrl(DOCKER_HUB), 'https://index.docker.io/v1/')
    assert.equal(helperServerUrl('ghcr.io'), 'ghcr.io')
  })
})

describe('lookupByRegistry', () => {
  it('matches any spelling of the host', () => {
    assert.equal(lookupByRegistry({'https://ghcr.io/': 1}, 'ghcr.io'), 1)
    assert.equal(lookupByRegistry({'http://127.0.0.1:5000/v1/': 2}, '127.0.0.1:5000'), 2)
    assert.equal(lookupByRegistry({'ghcr.io': 1}, 'quay.io'), undefined)
  })

  it('prefers the key spelled as docker writes it over aliases', () => {
    assert.equal(lookupByRegistry({'docker.io': 'alias', 'https://index.docker.io/v1/': 'docker'}, DOCKER_HUB), 'docker')
    assert.equal(lookupByRegistry({'https://ghcr.io': 'alias', 'ghcr.io': 'exact'}, 'ghcr.io'), 'exact')
    assert.equal(lookupByRegistry({'registry-1.docker.io': 'first', 'docker.io': 'second'}, DOCKER_HUB), 'first')
  })

  it('ignores inherited keys', () => {
    assert.equal(lookupByRegistry({}, 'constructor'), undefined)
  })
})
