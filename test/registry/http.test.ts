import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {type AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {HttpTransportError, httpRequest} from '../../src/http/http.js'

describe('httpRequest bodies', () => {
  let server: Server
  let base: URL
  let handle: (req: IncomingMessage, body: Buffer, res: ServerResponse) => void = () => {}
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => handle(req, Buffer.concat(chunks), res))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
  })
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('sends a list of chunks as one body, with its total Content-Length, and again on a second request', async () => {
    const chunks = [randomBytes(3), Buffer.alloc(0), randomBytes(1024 * 1024 + 1), randomBytes(17)]
    const received: {length: string | undefined; body: Buffer}[] = []
    handle = (req, body, res) => {
      received.push({length: req.headers['content-length'], body})
      res.writeHead(201).end()
    }

    for (let i = 0; i < 2; i++) assert.equal((await httpRequest({method: 'PUT', url: base, body: chunks})).status, 201)
    for (const {length, body} of received) {
      assert.equal(length, String(3 + 1024 * 1024 + 1 + 17))
      assert.deepEqual(body, Buffer.concat(chunks))
    }
  })

  it('reads a body with a Content-Length into one buffer, and one without by chunks', async () => {
    const content = randomBytes(3 * 1024 * 1024 + 5)
    for (const chunked of [false, true]) {
      handle = (_req, _body, res) => {
        res.writeHead(200, chunked ? {} : {'content-length': String(content.length)})
        for (let at = 0; at < content.length; at += 100_000) res.write(content.subarray(at, at + 100_000))
        res.end()
      }

      const response = await httpRequest({method: 'GET', url: base, maxBodyBytes: content.length})
      assert.deepEqual(response.body, content)
    }
  })

  it('answers a HEAD (Content-Length, no body) with an empty body', async () => {
    handle = (_req, _body, res) => res.writeHead(200, {'content-length': '123456'}).end()
    const response = await httpRequest({method: 'HEAD', url: base})
    assert.equal(response.body.length, 0)
  })

  it('refuses a body over the limit, announced or not', async () => {
    for (const announced of [false, true]) {
      handle = (_req, _body, res) => {
        res.writeHead(200, announced ? {'content-length': '2000'} : {})
        res.end(Buffer.alloc(2000))
      }

      await assert.rejects(httpRequest({method: 'GET', url: base, maxBodyBytes: 1999}), (error: unknown) => error instanceof HttpTransportError && error.kind === 'too-large')
    }
  })
})
