import assert from 'node:assert/strict'
import http from 'node:http'
import {mkdtempSync} from 'node:fs'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/**
 * Registries with tag immutability (Harbor's immutable tag rules, ECR's IMMUTABLE repositories)
 * accept the first PUT of `sha256-<hex>.sig` and refuse every later one. A proxy in front of the
 * real registry refuses a manifest PUT to a tag that already exists, the way each answers.
 */
describe('immutable tags (Harbor, ECR)', () => {
  const work = mkdtempSync(join(tmpdir(), 'immutable-'))
  let registry: TestRegistry
  const proxies: ImmutableProxy[] = []
  let first: TestKey
  let second: TestKey
  before(async () => {
    registry = await startRegistry()
    ;[first, second] = await Promise.all([generateTestKey(work, 'first'), generateTestKey(work, 'second')])
  })
  after(async () => {
    await Promise.all(proxies.map((p) => p.stop()))
    await registry.stop()
  })

  const sign = (image: string, key: TestKey) => runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile])

  for (const [style, refusal] of [
    ['harbor', /\(HTTP 412, PRECONDITION: Failed to process request due to 'app:sha256-[0-9a-f]{64}\.sig' configured as immutable\.\)/],
    ['ecr', /\(HTTP 400, TAG_INVALID: The image tag 'sha256-[0-9a-f]{64}\.sig' already exists in the '[^']+' repository and cannot be overwritten because the repository is immutable\.\)/],
  ] as const) {
    it(`${style}: the first signature goes in; a second key's is refused with one line naming the immutable tag and format = "bundle" (exit 4); the first key again is already there`, async () => {
      const proxy = await startImmutableProxy(registry.host, style)
      proxies.push(proxy)
      const pushed = await pushImage(testClient(), `${registry.host}/${style}/app:v1`)
      const image = `${proxy.host}/${style}/app:v1`
      const tag = `sha256-${pushed.digest.slice(7)}.sig`

      const signed = await sign(image, first)
      assert.equal(signed.code, 0, signed.stderr)
      assert.match(signed.stdout, new RegExp(`^Signed .*${tag.replaceAll('.', '\\.')}`, 'm'))
      assert.equal(proxy.refused, 0)

      const refused = await sign(image, second)
      assert.equal(refused.code, 4, refused.stderr)
      // One error line (progress, if any, comes before it).
      const lines = assertOneLineError(refused).split('\n')
      const line = lines.at(-1)!
      assert.equal(lines.filter((l) => l.startsWith('Error:')).length, 1, lines.join('\n'))
      assert.match(line, new RegExp(`^Error: ${proxy.host}/${style}/app:${tag.replaceAll('.', '\\.')} is immutable: the registry refused to replace the existing tag `))
      assert.match(line, refusal)
      assert.match(line, /format = "bundle" in cosign\.toml \(--format bundle for sign IMAGE\.\.\.\) writes each signature as its own manifest/)
      assert.equal(proxy.refused, 1)

      const again = await sign(image, first)
      assert.equal(again.code, 0, again.stderr)
      assert.match(again.stdout, /^Already signed /m)
      assert.equal(proxy.refused, 1, 'nothing to write, nothing refused')
    })
  }
})

interface ImmutableProxy {
  host: string
  /** Manifest PUTs refused so far. */
  refused: number
  stop(): Promise<void>
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ')

/**
 * Forwards everything to the registry, except a manifest PUT to a tag the registry already holds:
 * that gets Harbor's answer (412 PRECONDITION) or ECR's (400 TAG_INVALID). Pushes by digest and to
 * fresh tags go through, as on those registries.
 */
async function startImmutableProxy(target: string, style: 'harbor' | 'ecr'): Promise<ImmutableProxy> {
  const [targetHost, targetPort] = target.split(':')
  const agent = new http.Agent({keepAlive: true})
  const state = {refused: 0}
  const upstream = (method: string, path: string, headers: http.IncomingHttpHeaders) =>
    http.request({host: targetHost, port: Number(targetPort), method, path, headers, agent})

  const server = http.createServer((req, res) => {
    const forward = () => {
      const request = upstream(req.method ?? 'GET', req.url ?? '/', req.headers)
      request.on('response', (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(res)
      })
      request.on('error', () => res.destroy())
      req.pipe(request)
    }

    const put = req.method === 'PUT' ? /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec((req.url ?? '').split('?')[0]!) : null
    if (!put || put[2]!.startsWith('sha256:')) {
      forward()
      return
    }

    const [, name, tag] = put
    req.pause()
    const auth = req.headers.authorization
    const head = upstream('HEAD', `/v2/${name}/manifests/${tag}`, auth ? {accept: MANIFEST_ACCEPT, authorization: auth} : {accept: MANIFEST_ACCEPT})
    head.on('response', (response) => {
      response.resume()
      if (response.statusCode !== 200) {
        forward()
        return
      }

      state.refused++
      req.resume()
      const [status, error] =
        style === 'harbor'
          ? [412, {code: 'PRECONDITION', message: `Failed to process request due to '${name!.split('/').at(-1)}:${tag}' configured as immutable.`}]
          : [400, {code: 'TAG_INVALID', message: `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`}]
      res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify({errors: [error]}))
    })
    head.on('error', () => res.destroy())
    head.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get refused() {
      return state.refused
    },
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
