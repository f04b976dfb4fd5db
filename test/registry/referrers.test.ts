/** OCI 1.1 referrers against the real distribution 2.8 (no referrers API: the fallback tag). */
import assert from 'node:assert/strict'
import {type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest} from 'node:http'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {PluginError} from '../../src/errors.js'
import {type Repository} from '../../src/reference/reference.js'
import {type RegistryClient} from '../../src/registry/client.js'
import {sha256Digest} from '../../src/registry/digest.js'
import {MediaType} from '../../src/registry/media-types.js'
import {hasReferrersApi, listReferrers, referrersTag} from '../../src/registry/referrers.js'
import {addReferrer} from '../helpers/write-one.js'
import {type Descriptor} from '../../src/registry/types.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {type TestRegistry, freePort, startRegistry} from '../helpers/registry.js'
import {fetchManifest} from '../helpers/snapshot.js'
import {type TokenServer, startTokenServer} from '../helpers/token-server.js'

const ARTIFACT = 'application/vnd.example.test+json'

/** An artifact manifest referring to `subject`, pushed with its blobs; distinct per `label`. */
async function referrer(client: RegistryClient, repository: Repository, subject: Descriptor, label: string): Promise<Buffer> {
  const config = await client.uploadBlob(repository, Buffer.from('{}'), MediaType.ociEmpty)
  const layer = await client.uploadBlob(repository, Buffer.from(label), 'text/plain')
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [layer],
      annotations: {label},
      subject: {mediaType: subject.mediaType, size: subject.size, digest: subject.digest},
      artifactType: ARTIFACT,
    }),
  )
}

describe('referrers on a registry without the referrers API', () => {
  let registry: TestRegistry
  const client = testClient()
  before(async () => {
    registry = await startRegistry()
  })
  after(() => registry.stop())

  const fresh = (name: string): Promise<PushedImage> => pushImage(client, `${registry.host}/${name}:v1`)

  it('probes the API, finds none, and lists nothing when no fallback tag exists', async () => {
    const image = await fresh('probe')
    assert.equal(await hasReferrersApi(client, image.repository, image.digest), false)
    assert.deepEqual(await listReferrers(client, image.repository, image.digest), {via: 'fallback-tag', manifests: []})
  })

  it('adds referrers to the fallback index with artifactType and annotations, and lists them', async () => {
    const image = await fresh('add')
    const first = await addReferrer(client, image.repository, image.descriptor, await referrer(client, image.repository, image.descriptor, 'one'), MediaType.ociManifest)
    assert.equal(first.via, 'fallback-tag')
    const second = await addReferrer(client, image.repository, image.descriptor, await referrer(client, image.repository, image.descriptor, 'two'), MediaType.ociManifest)
    const index = await fetchManifest(registry, 'add', referrersTag(image.digest))
    assert.equal(index.json.mediaType, MediaType.ociIndex)
    const digests = index.json.manifests.map((m: Descriptor) => m.digest)
    assert.deepEqual(digests, [first.descriptor.digest, second.descriptor.digest].sort())
    const entry = index.json.manifests.find((m: Descriptor) => m.digest === first.descriptor.digest)
    assert.deepEqual(Object.keys(entry), ['mediaType', 'size', 'digest', 'annotations', 'artifactType'])
    assert.deepEqual(entry.annotations, {label: 'one'})
    assert.equal(entry.artifactType, ARTIFACT)
    // The manifest itself is stored by digest, no tag of its own.
    assert.equal((await client.getManifest(image.repository, first.descriptor.digest)).digest, first.descriptor.digest)
    const listed = await listReferrers(client, image.repository, image.digest, ARTIFACT)
    assert.equal(listed.manifests.length, 2)
    assert.equal((await listReferrers(client, image.repository, image.digest, 'application/other')).manifests.length, 0)
  })

  it('adding the same referrer twice lists it once', async () => {
    const image = await fresh('twice')
    const manifest = await referrer(client, image.repository, image.descriptor, 'same')
    await addReferrer(client, image.repository, image.descriptor, manifest, MediaType.ociManifest)
    await addReferrer(client, image.repository, image.descriptor, manifest, MediaType.ociManifest)
    assert.equal((await fetchManifest(registry, 'twice', referrersTag(image.digest))).json.manifests.length, 1)
  })

  it('keeps entries and fields written by other tools', async () => {
    const image = await fresh('foreign')
    const tag = referrersTag(image.digest)
    // distribution checks that an index's entries exist in the repository: a real manifest.
    const other = await pushImage(client, `${registry.host}/foreign:other`)
    const foreign = {
      mediaType: MediaType.ociManifest,
      size: other.descriptor.size,
      digest: other.digest,
      artifactType: 'application/vnd.other+json',
      platform: {os: 'linux', architecture: 'amd64'},
      'x-unknown': {kept: true},
    }
    const seeded = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [foreign], annotations: {owner: 'someone else'}}))
    await client.putManifest(image.repository, tag, seeded, MediaType.ociIndex)
    await addReferrer(client, image.repository, image.descriptor, await referrer(client, image.repository, image.descriptor, 'ours'), MediaType.ociManifest)
    const index = (await fetchManifest(registry, 'foreign', tag)).json
    assert.equal(index.manifests.length, 2)
    assert.deepEqual(index.manifests.find((m: Descriptor) => m.digest === foreign.digest), foreign)
    assert.deepEqual(index.annotations, {owner: 'someone else'})
  })

  it('refuses to replace a fallback tag that holds something other than an index', async () => {
    const image = await fresh('occupied')
    const other = await pushImage(client, `${registry.host}/occupied:${referrersTag(image.digest)}`)
    await assert.rejects(
      addReferrer(client, image.repository, image.descriptor, await referrer(client, image.repository, image.descriptor, 'x'), MediaType.ociManifest),
      (error: unknown) => error instanceof PluginError && error.code === 'REGISTRY_ERROR' && /not an OCI image index/.test(error.message),
    )
    assert.equal((await client.getManifest(image.repository, referrersTag(image.digest))).digest, other.digest)
  })

  it('concurrent writers in this process all end up in the index', async () => {
    const image = await fresh('concurrent')
    const manifests = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((l) => referrer(client, image.repository, image.descriptor, l)))
    const added = await Promise.all(manifests.map((m) => addReferrer(client, image.repository, image.descriptor, m, MediaType.ociManifest)))
    const index = (await fetchManifest(registry, 'concurrent', referrersTag(image.digest))).json
    assert.deepEqual(index.manifests.map((m: Descriptor) => m.digest).sort(), added.map((a) => a.descriptor.digest).sort())
  })

  it('a writer in another process that overwrites the index (no If-Match) is caught by the re-read, and we add again', async () => {
    const image = await fresh('raced')
    const tag = referrersTag(image.digest)
    const their = await pushImage(client, `${registry.host}/raced:theirs`)
    const theirs = {mediaType: MediaType.ociManifest, size: their.descriptor.size, digest: their.digest, artifactType: 'application/vnd.theirs'}
    const theirIndex = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [theirs]}))
    // Right after our first index write, "cosign" writes its own index, read before ours landed.
    const proxy = await startProxy(registry.host, async (req, body, forward) => {
      const isIndexPut = req.method === 'PUT' && req.url === `/v2/raced/manifests/${tag}`
      const answer = await forward(body)
      if (isIndexPut && proxy.racesLeft > 0) {
        proxy.racesLeft--
        const put = await fetch(`http://${registry.host}/v2/raced/manifests/${tag}`, {method: 'PUT', headers: {'content-type': MediaType.ociIndex}, body: theirIndex})
        assert.equal(put.status, 201)
      }

      return answer
    })
    try {
      proxy.racesLeft = 1
      const viaProxy = testClient()
      const repository = {registry: proxy.host, path: 'raced'}
      const manifest = await referrer(viaProxy, repository, image.descriptor, 'ours')
      const added = await addReferrer(viaProxy, repository, image.descriptor, manifest, MediaType.ociManifest)
      const index = (await fetchManifest(registry, 'raced', tag)).json
      assert.deepEqual(index.manifests.map((m: Descriptor) => m.digest).sort(), [added.descriptor.digest, theirs.digest].sort())
      assert.equal(proxy.indexPuts, 2, 'one lost write, one that stuck')
    } finally {
      await proxy.stop()
    }
  })

  it('honours 412 from a registry that checks If-Match: reads again and keeps the other write', async () => {
    const image = await fresh('ifmatch')
    const tag = referrersTag(image.digest)
    const their = await pushImage(client, `${registry.host}/ifmatch:theirs`)
    const theirs = {mediaType: MediaType.ociManifest, size: their.descriptor.size, digest: their.digest}
    const manifest = await referrer(client, image.repository, image.descriptor, 'first')
    await addReferrer(client, image.repository, image.descriptor, manifest, MediaType.ociManifest)
    const seen: (string | undefined)[] = []
    // This registry enforces If-Match: the first conditional PUT finds the index changed meanwhile.
    const proxy = await startProxy(registry.host, async (req, body, forward) => {
      if (req.method === 'PUT' && req.url === `/v2/ifmatch/manifests/${tag}`) {
        seen.push(req.headers['if-match'] as string | undefined)
        if (proxy.racesLeft > 0) {
          proxy.racesLeft--
          const current = (await fetchManifest(registry, 'ifmatch', tag)).json
          current.manifests.push(theirs)
          const put = await fetch(`http://${registry.host}/v2/ifmatch/manifests/${tag}`, {method: 'PUT', headers: {'content-type': MediaType.ociIndex}, body: JSON.stringify(current)})
          assert.equal(put.status, 201)
          return {status: 412, headers: {'content-type': 'application/json'}, body: Buffer.from('{"errors":[{"code":"PRECONDITION_FAILED"}]}')}
        }
      }

      return forward(body)
    })
    try {
      proxy.racesLeft = 1
      const viaProxy = testClient()
      const repository = {registry: proxy.host, path: 'ifmatch'}
      const second = await addReferrer(viaProxy, repository, image.descriptor, await referrer(viaProxy, repository, image.descriptor, 'second'), MediaType.ociManifest)
      assert.equal(seen.length, 2)
      assert.ok(seen.every((etag) => etag?.startsWith('"sha256:')), `If-Match sent: ${seen.join(', ')}`)
      assert.notEqual(seen[0], seen[1], 'the retry names the new ETag')
      const index = (await fetchManifest(registry, 'ifmatch', tag)).json
      assert.equal(index.manifests.length, 3)
      assert.ok(index.manifests.some((m: Descriptor) => m.digest === theirs.digest))
      assert.ok(index.manifests.some((m: Descriptor) => m.digest === second.descriptor.digest))
    } finally {
      await proxy.stop()
    }
  })
})

describe('referrers behind token auth', () => {
  let tokens: TokenServer
  let registry: TestRegistry
  before(async () => {
    tokens = await startTokenServer(mkdtempSync(join(tmpdir(), 'referrers-tokens-')), {
      writer: {password: 'w-pass', actions: ['pull', 'push']},
      reader: {password: 'r-pass', actions: ['pull']},
    })
    registry = await startRegistry({authYaml: tokens.authYaml})
  })
  after(async () => {
    await registry.stop()
    await tokens.stop()
  })

  it('a writer adds; a pull-only reader lists (no push scope asked for)', async () => {
    const writer = testClient({resolve: async () => ({kind: 'basic', username: 'writer', password: 'w-pass'})})
    const image = await pushImage(writer, `${registry.host}/guarded:v1`)
    const added = await addReferrer(writer, image.repository, image.descriptor, await referrer(writer, image.repository, image.descriptor, 'x'), MediaType.ociManifest)
    const reader = testClient({resolve: async () => ({kind: 'basic', username: 'reader', password: 'r-pass'})})
    const listed = await listReferrers(reader, image.repository, image.digest)
    assert.deepEqual(listed.manifests.map((m) => m.digest), [added.descriptor.digest])
    await assert.rejects(
      addReferrer(reader, image.repository, image.descriptor, await referrer(writer, image.repository, image.descriptor, 'y'), MediaType.ociManifest),
      (error: unknown) => error instanceof PluginError && error.code === 'REGISTRY_AUTH',
    )
  })
})

describe('referrers on a registry with the referrers API', () => {
  let registry: TestRegistry
  let proxy: Proxy
  // distribution 2.8 has no referrers API: this proxy adds one over it, indexing the subject of
  // every manifest pushed through it, as an OCI 1.1 registry does.
  const subjects = new Map<string, Descriptor[]>()
  let probes = 0
  before(async () => {
    registry = await startRegistry()
    proxy = await startProxy(registry.host, async (req, body, forward) => {
      const match = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})/.exec(req.url ?? '')
      if (req.method === 'GET' && match) {
        probes++
        const index = {schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: subjects.get(match[2]!) ?? []}
        return {status: 200, headers: {'content-type': MediaType.ociIndex}, body: Buffer.from(JSON.stringify(index))}
      }

      const answer = await forward(body)
      if (req.method === 'PUT' && answer.status === 201 && /\/manifests\//.test(req.url ?? '')) {
        const manifest = JSON.parse(body.toString('utf8'))
        if (manifest.subject) {
          const list = subjects.get(manifest.subject.digest) ?? []
          list.push({mediaType: manifest.mediaType, size: body.length, digest: sha256Digest(body), artifactType: manifest.artifactType, annotations: manifest.annotations})
          subjects.set(manifest.subject.digest, list)
          answer.headers['oci-subject'] = manifest.subject.digest
        }
      }

      return answer
    })
  })
  after(async () => {
    await proxy.stop()
    await registry.stop()
  })

  it('pushes the referrer only, lists it through the API, and probes once per registry', async () => {
    const client = testClient()
    const image = await pushImage(client, `${proxy.host}/api:v1`)
    const other = await pushImage(client, `${proxy.host}/api-other:v1`)
    const added = await addReferrer(client, image.repository, image.descriptor, await referrer(client, image.repository, image.descriptor, 'one'), MediaType.ociManifest)
    assert.equal(added.via, 'api')
    assert.equal(await client.findManifest(image.repository, referrersTag(image.digest)), undefined, 'no fallback tag')
    const listed = await listReferrers(client, image.repository, image.digest)
    assert.equal(listed.via, 'api')
    assert.deepEqual(listed.manifests.map((m) => m.digest), [added.descriptor.digest])
    const probesBefore = probes
    assert.equal(await hasReferrersApi(client, other.repository, other.digest), true)
    await addReferrer(client, other.repository, other.descriptor, await referrer(client, other.repository, other.descriptor, 'two'), MediaType.ociManifest)
    assert.equal(probes, probesBefore, 'the answer is remembered for the registry')
  })
})

interface ProxyAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

interface Proxy {
  host: string
  racesLeft: number
  indexPuts: number
  stop(): Promise<void>
}

/** A plain-HTTP proxy in front of the registry whose handler may answer, or forward and alter. */
async function startProxy(
  target: string,
  handle: (req: IncomingMessage, body: Buffer, forward: (body: Buffer) => Promise<ProxyAnswer>) => Promise<ProxyAnswer>,
): Promise<Proxy> {
  const port = await freePort()
  const proxy: Proxy = {host: `127.0.0.1:${port}`, racesLeft: 0, indexPuts: 0, stop: async () => undefined}
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readAll(req)
    if (req.method === 'PUT' && /\/manifests\/sha256-/.test(req.url ?? '')) proxy.indexPuts++
    const forward = (payload: Buffer) => forwardTo(target, req, payload)
    const answer = await handle(req, body, forward)
    const headers = {...answer.headers}
    // Locations the registry hands out must point back at the proxy.
    if (typeof headers.location === 'string') headers.location = headers.location.replace(target, proxy.host)
    delete headers['content-length']
    delete headers['transfer-encoding']
    res.writeHead(answer.status, {...headers, 'content-length': String(answer.body.length)})
    res.end(req.method === 'HEAD' ? undefined : answer.body)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  proxy.stop = () => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return proxy
}

function forwardTo(target: string, req: IncomingMessage, body: Buffer): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const headers = {...req.headers, host: target}
    const upstream = httpRequest(`http://${target}${req.url}`, {method: req.method, headers}, async (res) => {
      resolve({status: res.statusCode ?? 502, headers: {...res.headers}, body: await readAll(res)})
    })
    upstream.on('error', reject)
    upstream.end(body.length > 0 ? body : undefined)
  })
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => resolve(Buffer.concat(chunks)))
    stream.on('error', reject)
  })
}
