import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import {type AddressInfo} from 'node:net'

/**
 * Careless servers for the secrets tests: each refuses and quotes what it was sent in its error,
 * as a badly written service or proxy does. Whatever they echo must never reach our output.
 */
export interface EchoServer {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `127.0.0.1:<port>`, for image names. */
  host: string
  stop(): Promise<void>
}

/**
 * A registry that asks for credentials and then refuses with a distribution error quoting the
 * request's Authorization header. `basic` asks for Basic auth; `bearer` names its own token
 * endpoint, which hands out `issuedToken` for any credentials (GET or the OAuth2 POST).
 */
export function startEchoRegistry(challenge: 'basic' | 'bearer', issuedToken: string): Promise<EchoServer> {
  let url = ''
  return listen((req, res, _body) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/token') {
      json(res, 200, {token: issuedToken, access_token: issuedToken, expires_in: 300})
      return
    }

    const authorization = req.headers.authorization
    if (!authorization) {
      const ask = challenge === 'basic' ? 'Basic realm="echo"' : `Bearer realm="${url}/token",service="echo"`
      json(res, 401, {errors: [{code: 'UNAUTHORIZED', message: 'authentication required'}]}, {'www-authenticate': ask})
      return
    }

    json(res, 403, {errors: [{code: 'DENIED', message: `${req.method} ${path} refused for Authorization: ${authorization}`}]})
  }).then((server) => {
    url = server.url
    return server
  })
}

/**
 * A Fulcio, Rekor or timestamp authority that refuses every request with `{code, message}`
 * (Sigstore's error shape), the message quoting the request body and `also` — a stand-in for any
 * server text that carries a secret the process holds.
 */
export function startEchoService(status: number, also = ''): Promise<EchoServer> {
  // `also` first: our messages keep only the start of long server text.
  return listen((_req, res, body) => json(res, status, {code: status, message: `${also} refused ${body}`.trim()}))
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {'content-type': 'application/json', ...headers}).end(JSON.stringify(value))
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<EchoServer> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}`,
    host,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
