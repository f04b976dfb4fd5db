// A counting HTTP proxy in front of the loopback registry: both tools talk to it, so the number
// of requests each makes is counted on the wire. Host headers pass through unchanged, so the
// registry's absolute upload URLs point back at the proxy.
import http from 'node:http'

export async function startCountingProxy(target) {
  const [targetHost, targetPort] = target.split(':')
  const agent = new http.Agent({keepAlive: true, maxSockets: 64})
  let count = 0
  const server = http.createServer((req, res) => {
    count++
    const upstream = http.request(
      {host: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers, agent},
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.keepAliveTimeout = 30_000
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address()
  return {
    host: `127.0.0.1:${port}`,
    reset: () => (count = 0),
    get count() {
      return count
    },
    stop: () => new Promise((resolve) => server.close(resolve)),
  }
}
