import assert from 'node:assert/strict'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {credentialHelperFor, dockerConfigPath, inlineCredential, loadDockerConfig} from '../../src/auth/docker-config.js'
import {DOCKER_HUB} from '../../src/reference/reference.js'
import {SENTINEL, basic, rejectsWith, tempDir, writeDockerConfig} from './fixtures.js'

async function load(t: Parameters<typeof tempDir>[0], content: unknown) {
  const path = await writeDockerConfig(await tempDir(t), content)
  const config = await loadDockerConfig(path)
  assert.ok(config)
  return config
}

describe('docker config location', () => {
  it('uses $DOCKER_CONFIG/config.json when set, else ~/.docker/config.json', () => {
    assert.equal(dockerConfigPath({DOCKER_CONFIG: '/etc/dc'}, '/home/u'), join('/etc/dc', 'config.json'))
    assert.equal(dockerConfigPath({}, '/home/u'), join('/home/u', '.docker', 'config.json'))
    assert.equal(dockerConfigPath({DOCKER_CONFIG: ''}, '/home/u'), join('/home/u', '.docker', 'config.json'))
  })

  it('treats a missing file or directory as no config', async (t) => {
    const dir = await tempDir(t)
    assert.equal(await loadDockerConfig(join(dir, 'config.json')), undefined)
    assert.equal(await loadDockerConfig(join(dir, 'nope', 'config.json')), undefined)
  })

  it('treats an empty file as an empty config, as docker does', async (t) => {
    const config = await load(t, '\n')
    assert.deepEqual(config.auths, {})
    assert.equal(inlineCredential(config, 'ghcr.io'), undefined)
  })
})

describe('docker config auths', () => {
  it('decodes auth, username/password, identitytoken and registrytoken', async (t) => {
    const config = await load(t, {
      auths: {
        'a.example': {auth: basic('alice', 'pw:with:colons')},
        'b.example': {username: 'bob', password: 'bpw'},
        'c.example': {auth: basic('carol', ''), identitytoken: 'refresh-tok'},
        'd.example': {identitytoken: 'refresh-only'},
        'e.example': {registrytoken: 'reg-tok', auth: basic('x', 'y'), identitytoken: 'ignored'},
        'f.example': {},
        'g.example': {auth: basic('gina', 'fromauth'), username: 'other', password: 'other'},
      },
    })
    assert.deepEqual(inlineCredential(config, 'a.example'), {kind: 'basic', username: 'alice', password: 'pw:with:colons'})
    assert.deepEqual(inlineCredential(config, 'b.example'), {kind: 'basic', username: 'bob', password: 'bpw'})
    assert.deepEqual(inlineCredential(config, 'c.example'), {kind: 'identity-token', token: 'refresh-tok', username: 'carol'})
    assert.deepEqual(inlineCredential(config, 'd.example'), {kind: 'identity-token', token: 'refresh-only'})
    assert.deepEqual(inlineCredential(config, 'e.example'), {kind: 'bearer', token: 'reg-tok'})
    assert.equal(inlineCredential(config, 'f.example'), undefined)
    assert.deepEqual(inlineCredential(config, 'g.example'), {kind: 'basic', username: 'gina', password: 'fromauth'})
    assert.equal(inlineCredential(config, 'z.example'), undefined)
  })

  it('normalises keys written as URLs', async (t) => {
    const config = await load(t, {
      auths: {
        'https://ghcr.io': {auth: basic('g', '1')},
        'http://127.0.0.1:5000/v1/': {auth: basic('l', '2')},
        'QUAY.IO': {auth: basic('q', '3')},
      },
    })
    assert.deepEqual(inlineCredential(config, 'ghcr.io'), {kind: 'basic', username: 'g', password: '1'})
    assert.deepEqual(inlineCredential(config, '127.0.0.1:5000'), {kind: 'basic', username: 'l', password: '2'})
    assert.deepEqual(inlineCredential(config, 'quay.io'), {kind: 'basic', username: 'q', password: '3'})
  })

  for (const key of ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io']) {
    it(`finds Hub credentials stored under ${key}`, async (t) => {
      const config = await load(t, {auths: {[key]: {auth: basic('hubuser', 'hubpw')}}})
      assert.deepEqual(inlineCredential(config, DOCKER_HUB), {kind: 'basic', username: 'hubuser', password: 'hubpw'})
    })
  }

  it('picks credHelpers by normalised key, else credsStore', async (t) => {
    const config = await load(t, {
      credsStore: 'desktop',
      credHelpers: {'https://gcr.io': 'gcloud', 'docker.io': 'hubhelper', 'empty.example': ''},
    })
    assert.equal(credentialHelperFor(config, 'gcr.io'), 'gcloud')
    assert.equal(credentialHelperFor(config, DOCKER_HUB), 'hubhelper')
    assert.equal(credentialHelperFor(config, 'ghcr.io'), 'desktop')
    assert.equal(credentialHelperFor(config, 'empty.example'), 'desktop')
    const noStore = await load(t, {credsStore: '', credHelpers: {}})
    assert.equal(credentialHelperFor(noStore, 'ghcr.io'), undefined)
  })
})

describe('malformed docker config', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['truncated JSON', `{"auths": {"ghcr.io": {"password": "${SENTINEL}"`, /is not valid JSON/],
    ['JSON with a bad token', `{"auths": {"ghcr.io": {"password": "${SENTINEL}",}}}`, /is not valid JSON \(line 1, column \d+\)/],
    ['a top-level array', `["${SENTINEL}"]`, /must hold a JSON object/],
    ['auths not an object', `{"auths": "${SENTINEL}"}`, /"auths" that is not an object/],
    ['an auths entry not an object', `{"auths": {"ghcr.io": "${SENTINEL}"}}`, /"auths" entry "ghcr.io" that is not an object/],
    ['a non-string password', `{"auths": {"ghcr.io": {"password": ["${SENTINEL}"]}}}`, /"password" is not a string/],
    ['credHelpers not strings', `{"credHelpers": {"ghcr.io": 1}}`, /"credHelpers" entry "ghcr.io"/],
    ['credsStore not a string', `{"credsStore": ["${SENTINEL}"]}`, /"credsStore" that is not a string/],
  ]
  for (const [what, text, pattern] of bad) {
    it(`rejects ${what} with CONFIG_INVALID naming the file`, async (t) => {
      const path = await writeDockerConfig(await tempDir(t), text)
      const error = await rejectsWith(loadDockerConfig(path), 'CONFIG_INVALID', pattern)
      assert.ok(error.message.includes(path), error.message)
    })
  }

  it('rejects an auth that is not base64 user:pass when it is needed', async (t) => {
    const config = await load(t, {auths: {'ghcr.io': {auth: `${SENTINEL}!`}, 'quay.io': {auth: Buffer.from(SENTINEL).toString('base64')}}})
    for (const registry of ['ghcr.io', 'quay.io']) {
      await rejectsWith(
        (async () => inlineCredential(config, registry))(),
        'CONFIG_INVALID',
        new RegExp(`entry for ${registry} whose "auth" is not base64`),
        [SENTINEL, Buffer.from(SENTINEL).toString('base64')],
      )
    }
  })

  it('reports an unreadable config (a directory) as CONFIG_INVALID', async (t) => {
    const dir = await tempDir(t)
    await mkdir(join(dir, 'config.json'))
    await rejectsWith(loadDockerConfig(join(dir, 'config.json')), 'CONFIG_INVALID', /cannot read docker config/)
  })

  it('accepts a BOM', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'config.json'), `\uFEFF${JSON.stringify({auths: {'ghcr.io': {auth: basic('a', 'b')}}})}`)
    const config = await loadDockerConfig(join(dir, 'config.json'))
    assert.ok(config)
    assert.deepEqual(inlineCredential(config, 'ghcr.io'), {kind: 'basic', username: 'a', password: 'b'})
  })
})
