import http from 'node:http'

import {freePort} from './registry.js'

/**
 * A proxy on loopback that injects faults in front of a real registry: a share of requests get
 * their connection reset or a 503, and chosen paths answer only after a delay. The registry's
 * absolute upload URLs keep pointing at the proxy because the Host header passes through.
 */
export interface FaultOptions {
  /** Share of requests answered with a connection reset (0..1). */
  resetRate?: number
  /** Share of requests answered with 503 (0..1). */
  unavailableRate?: number
  /** Requests whose path matches are delayed this long (ms) before being forwarded. */
  slow?: {path: RegExp; delayMs: number}
  /** Deterministic pseudo-random faults. */
  seed?: number
  /** Requests whose method and path match always get a 503 (a write that keeps failing). */
  alwaysFail?: {method: string; path: RegExp}
  /** Once a PUT to a matching path went through, every later request to that path gets a 503 (a write that cannot be read back). */
  failAfterWrite?: RegExp
}

export interface FaultProxy {
  host: string
  /** From now on, forward everything untouched (same address, so image names stay the same). */
  heal(): void
  stats: {requests: number; resets: number; unavailable: number; delayed: number}
  /** Every request received, in order: `METHOD /path` (query dropped). */
  log: string[]
  stop(): Promise<void>
}

export async function startFaultProxy(target: string, faults: FaultOptions): Promise<FaultProxy> {
  let options = faults
  const [targetHost, targetPort] = target.split(':')
  const stats = {requests: 0, resets: 0, unavailable: 0, delayed: 0}
  let seed = options.seed ?? 42
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const agent = new http.Agent({keepAlive: true})
  const timers = new Set<NodeJS.Timeout>()
  const log: string[] = []
  const written = new Set<string>()
  const server = http.createServer((req, res) => {
    stats.requests++
    log.push(`${req.method} ${(req.url ?? '').split('?')[0]}`)
    const path = (req.url ?? '').split('?')[0]!
    const unreadable = options.failAfterWrite?.test(path) && written.has(path)
    if (unreadable || (options.alwaysFail && req.method === options.alwaysFail.method && options.alwaysFail.path.test(req.url ?? ''))) {
      stats.unavailable++
      res.writeHead(503, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}')
      req.resume()
      return
    }

    const roll = random()
    if (roll < (options.resetRate ?? 0)) {
      stats.resets++
      req.socket.destroy()
      return
    }

    if (roll < (options.resetRate ?? 0) + (options.unavailableRate ?? 0)) {
      stats.unavailable++
      res.writeHead(503, {'content-type': 'application/json'}).end('{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}')
      req.resume()
      return
    }

    const forward = () => {
      const upstream = http.request(
        {host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers, agent},
        (response) => {
          if (req.method === 'PUT' && (response.statusCode ?? 500) < 300) written.add(path)
          res.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(res)
        },
      )
      upstream.on('error', () => res.destroy())
      req.pipe(upstream)
    }

    if (options.slow && options.slow.path.test(req.url ?? '')) {
      stats.delayed++
      req.pause()
      const timer = setTimeout(() => {
        timers.delete(timer)
        req.resume()
        forward()
      }, options.slow.delayMs)
      timers.add(timer)
      return
    }

    forward()
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    host: `127.0.0.1:${port}`,
    heal: () => {
      options = {}
    },
    stats,
    log,
    stop: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
