import assert from 'node:assert/strict'
import {createServer as createHttpServer} from 'node:http'
import {type AddressInfo, type Server, type Socket, createServer} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {HttpTransportError, httpRequest} from '../../src/http/http.js'

/** The request timeout is a timeout of silence, and it is the time given — over TLS too. */
describe('httpRequest timeout', () => {
  let silent: Server
  const sockets = new Set<Socket>()
  let host: string
  before(async () => {
    // Accepts connections and never says a word (nor completes a TLS handshake).
    silent = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    host = `127.0.0.1:${(silent.address() as AddressInfo).port}`
  })
  after(() => {
    for (const socket of sockets) socket.destroy()
    return new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  for (const scheme of ['http', 'https']) {
    it(`a silent ${scheme} server: fails after the timeout, not twice it`, async () => {
      const started = Date.now()
      await assert.rejects(httpRequest({method: 'GET', url: new URL(`${scheme}://${host}/v2/`), timeoutMs: 1000}), (error: unknown) => {
        assert.ok(error instanceof HttpTransportError)
        assert.equal(error.kind, 'timeout')
        assert.match(error.message, /no answer from 127\.0\.0\.1:\d+ within 1s$/)
        return true
      })
      const elapsed = Date.now() - started
      // Node's own socket timeout fired after 2 s here over TLS.
      assert.ok(elapsed >= 950 && elapsed < 1600, `took ${elapsed} ms`)
    })
  }

  it('an answer that keeps coming is not cut, however long it takes; one that stops is', async () => {
    const server = createHttpServer((req, res) => {
      res.writeHead(200)
      let sent = 0
      const timer = setInterval(() => {
        res.write('x')
        if (++sent === 6 && !req.url?.includes('stall')) {
          clearInterval(timer)
          res.end()
        }
        if (sent === 2 && req.url?.includes('stall')) clearInterval(timer)
      }, 250)
      res.on('close', () => clearInterval(timer))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const response = await httpRequest({method: 'GET', url: new URL(`${base}/slow`), timeoutMs: 600})
      assert.equal(response.body.toString(), 'xxxxxx')
      const started = Date.now()
      await assert.rejects(httpRequest({method: 'GET', url: new URL(`${base}/stall`), timeoutMs: 600}), /within 0\.6s/)
      assert.ok(Date.now() - started < 1500)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
