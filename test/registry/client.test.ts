import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {createServer} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {PluginError} from '../../src/errors.js'
import {parseRepositoryName} from '../../src/reference/reference.js'
import {RegistryClient} from '../../src/registry/client.js'
import {type RegistryCredential} from '../../src/registry/credentials.js'
import {sha256Digest} from '../../src/registry/digest.js'
import {pushImage, pushIndex, testClient} from '../helpers/images.js'
import {type TestRegistry, freePort, startRegistry} from '../helpers/registry.js'
import {type TokenServer, startTokenServer} from '../helpers/token-server.js'

const fixed = (credential: RegistryCredential | undefined) => ({resolve: async () => credential})

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PluginError, `expected PluginError, got ${String(error)}`)
    assert.equal(error.code, code, error.message)
    assert.match(error.message, pattern)
    return true
  })
}

describe('registry client against distribution (no auth)', () => {
  let registry: TestRegistry
  before(async () => {
    registry = await startRegistry()
  })
  after(() => registry.stop())

  it('pushes an image and reads it back by tag and digest, verified', async () => {
    const client = testClient()
    const image = await pushImage(client, `${registry.host}/app:v1`)
    const byTag = await client.getManifest(image.repository, 'v1')
    assert.equal(byTag.digest, image.digest)
    const byDigest = await client.getManifest(image.repository, image.digest)
    assert.equal(sha256Digest(byDigest.bytes), image.digest)
    assert.deepEqual(await client.listTags(image.repository), ['v1'])
  })

  it('reads an index with its media type', async () => {
    const client = testClient()
    const index = await pushIndex(client, `${registry.host}/multi:latest`)
    const manifest = await client.getManifest(index.repository, 'latest')
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.index.v1+json')
    assert.equal(index.children.length, 2)
    assert.deepEqual(await client.listTags(index.repository), ['latest'])
  })

  it('skips uploading a blob the repository already has', async () => {
    const client = testClient()
    const repository = parseRepositoryName(`${registry.host}/blobs`)
    const content = Buffer.from('same bytes')
    const first = await client.uploadBlob(repository, content, 'application/octet-stream')
    assert.equal(await client.blobExists(repository, first.digest), true)
    const second = await client.uploadBlob(repository, content, 'application/octet-stream')
    assert.deepEqual(second, first)
    assert.deepEqual(await client.getBlob(repository, first.digest, 1024), content)
  })

  it('proves push access without leaving a tag behind', async () => {
    const client = testClient()
    const repository = parseRepositoryName(`${registry.host}/fresh-repo`)
    await client.checkPushAccess(repository)
    assert.deepEqual(await client.listTags(repository), [])
  })

  it('says an unknown image is not found', async () => {
    const client = testClient()
    const repository = parseRepositoryName(`${registry.host}/missing`)
    assert.equal(await client.findManifest(repository, 'nope'), undefined)
    await rejectsWith(client.getManifest(repository, 'nope'), 'REGISTRY_NOT_FOUND', /missing:nope not found/)
  })

  it('says an unreachable registry is unreachable', async () => {
    const port = await freePort()
    const client = new RegistryClient({credentials: fixed(undefined), retries: 1})
    await rejectsWith(client.ping(`127.0.0.1:${port}`), 'REGISTRY_UNREACHABLE', /connection refused/)
  })
})

describe('registry client with htpasswd basic auth', () => {
  let registry: TestRegistry
  before(async () => {
    registry = await startRegistry({htpasswd: {username: 'alice', password: 's3cret-basic'}})
  })
  after(() => registry.stop())

  it('pushes and reads with the right credentials', async () => {
    const client = testClient(fixed({kind: 'basic', username: 'alice', password: 's3cret-basic'}))
    const image = await pushImage(client, `${registry.host}/private:v1`)
    assert.equal((await client.getManifest(image.repository, 'v1')).digest, image.digest)
  })

  it('refuses wrong credentials with REGISTRY_AUTH and never echoes the password', async () => {
    const client = testClient(fixed({kind: 'basic', username: 'alice', password: 'WRONG-sentinel', source: 'test'}))
    const repository = parseRepositoryName(`${registry.host}/private`)
    await assert.rejects(client.getManifest(repository, 'v1'), (error: unknown) => {
      assert.ok(error instanceof PluginError)
      assert.equal(error.code, 'REGISTRY_AUTH')
      assert.match(error.message, /not authorized/)
      assert.doesNotMatch(JSON.stringify({m: error.message, s: error.stack}), /WRONG-sentinel/)
      return true
    })
  })
})

describe('registry client with token auth (bearer)', () => {
  let registry: TestRegistry
  let tokens: TokenServer
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-'))
    tokens = await startTokenServer(dir, {
      writer: {password: 'w-pass', actions: ['pull', 'push'], refreshToken: 'refresh-123'},
      reader: {password: 'r-pass', actions: ['pull']},
    })
    registry = await startRegistry({authYaml: tokens.authYaml})
  })
  after(async () => {
    await registry.stop()
    await tokens.stop()
  })

  it('exchanges basic credentials for scoped tokens', async () => {
    const client = testClient(fixed({kind: 'basic', username: 'writer', password: 'w-pass'}))
    const image = await pushImage(client, `${registry.host}/team/app:v1`)
    assert.equal((await client.getManifest(image.repository, 'v1')).digest, image.digest)
    assert.ok(tokens.requests.some((r) => r.account === 'writer' && r.scope.includes('repository:team/app:pull,push')))
  })

  it('exchanges an identity token through the OAuth2 POST form', async () => {
    const client = testClient(fixed({kind: 'identity-token', token: 'refresh-123'}))
    const image = await pushImage(client, `${registry.host}/team/oauth:v1`)
    assert.equal((await client.getManifest(image.repository, 'v1')).digest, image.digest)
    assert.ok(tokens.requests.some((r) => r.method === 'POST' && r.account === 'writer'))
  })

  it('denies push to a pull-only user, and the check leaves nothing behind', async () => {
    const writer = testClient(fixed({kind: 'basic', username: 'writer', password: 'w-pass'}))
    const image = await pushImage(writer, `${registry.host}/team/ro:v1`)
    const reader = testClient(fixed({kind: 'basic', username: 'reader', password: 'r-pass'}))
    assert.equal((await reader.getManifest(image.repository, 'v1')).digest, image.digest)
    await rejectsWith(reader.checkPushAccess(image.repository), 'REGISTRY_AUTH', /team\/ro/)
    assert.deepEqual(await writer.listTags(image.repository), ['v1'])
  })
})

describe('registry client on hostile or unusual servers', () => {
  it('drops Authorization when a blob redirect leaves the origin, and verifies the blob digest', async () => {
    const content = Buffer.from('redirected blob')
    const digest = sha256Digest(content)
    const seen: {host: string; authorization?: string}[] = []
    const storage = createServer((req, res) => {
      seen.push({host: 'storage', authorization: req.headers.authorization})
      res.end(req.url?.includes('bad') ? Buffer.from('other bytes') : content)
    })
    const storagePort = await listen(storage)
    const registryServer = createServer((req, res) => {
      seen.push({host: 'registry', authorization: req.headers.authorization})
      if (!req.headers.authorization) return res.writeHead(401, {'www-authenticate': 'Basic realm="x"'}).end()
      const target = req.url?.includes(digest) ? 'good' : 'bad'
      res.writeHead(307, {location: `http://localhost:${storagePort}/${target}`}).end()
    })
    const registryPort = await listen(registryServer)
    try {
      const client = testClient(fixed({kind: 'basic', username: 'u', password: 'p'}))
      const repository = parseRepositoryName(`127.0.0.1:${registryPort}/app`)
      assert.deepEqual(await client.getBlob(repository, digest, 1024), content)
      assert.ok(seen.filter((s) => s.host === 'registry' && s.authorization).length > 0)
      assert.deepEqual(seen.filter((s) => s.host === 'storage' && s.authorization), [])
      const otherDigest = sha256Digest('expected other')
      await rejectsWith(client.getBlob(repository, otherDigest, 1024), 'DIGEST_MISMATCH', /expected sha256:/)
    } finally {
      storage.close()
      registryServer.close()
    }
  })
})

async function listen(server: import('node:http').Server): Promise<number> {
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return port
}
