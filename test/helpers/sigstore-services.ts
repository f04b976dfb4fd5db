import {createHash, generateKeyPairSync, type KeyObject, sign} from 'node:crypto'
import {writeFile} from 'node:fs/promises'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {type AddressInfo} from 'node:net'

import {
  fulcioHandler,
  type HandlerFn,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock'

/**
 * Fulcio, Rekor and a timestamp authority on 127.0.0.1, each a real HTTP server routing to the
 * `@sigstore/mock` handlers (no in-process interception: the code under test makes real requests).
 * Adds what the mock leaves out and the tests need: Rekor keeps its entries so a test can GET them
 * back, stores DSSE entries in Rekor's canonical form (as the real log does), and serves its public
 * key. A trusted root built from the services' keys lets verification run offline.
 */
export interface SigstoreServices {
  fulcioURL: string
  rekorURL: string
  tsaURL: string
  /** `application/vnd.dev.sigstore.trustedroot+json;version=0.1`, protobuf-JSON form. */
  trustedRoot: TrustedRootJSON
  rekorPublicKeyPem: string
  ctlogPublicKeyPem: string
  fulcioRootPem: string
  /** Entries Rekor accepted, by UUID, as Rekor's API returns them. */
  rekorEntries: Map<string, RekorLogEntry>
  /** Requests each service answered (a test can assert one certificate per run). */
  requests: {fulcio: number; rekor: number; tsa: number}
  /** A signed JWT the mock Fulcio accepts; its `sub` becomes the certificate's URI SAN. */
  identityToken(claims?: Record<string, unknown>): string
  writeTrustedRoot(path: string): Promise<void>
  stop(): Promise<void>
}

export interface RekorLogEntry {
  body: string
  integratedTime: number
  logID: string
  logIndex: number
  verification: {signedEntryTimestamp: string; inclusionProof?: unknown}
}

export type TrustedRootJSON = Record<string, unknown>

export const TEST_ISSUER = 'https://oidc.pack-ts.test'
export const TEST_SUBJECT = 'https://github.com/pack-ts/demo/.github/workflows/release.yml@refs/heads/main'

export async function startSigstoreServices(): Promise<SigstoreServices> {
  // validFor starts a minute back so certificates and entries made "now" fall inside it.
  const validFrom = new Date(Date.now() - 60_000).toISOString()
  const fulcioKeys = ecKeyPair()
  const ctlogKeys = ecKeyPair()
  const rekorKeys = ecKeyPair()
  const tsaKeys = ecKeyPair()
  const tokenKeys = ecKeyPair()

  const ctlog = await initializeCTLog(ctlogKeys)
  const ca = await initializeCA(fulcioKeys, ctlog)
  const tsa = await initializeTSA(tsaKeys)
  const requests = {fulcio: 0, rekor: 0, tsa: 0}
  const rekorEntries = new Map<string, RekorLogEntry>()

  const signingCertV2 = fulcioHandler(ca).fn
  const signingCert: Route = (body) => {
    requests.fulcio++
    return signingCertV2(body)
  }
  const fulcio = await listen(
    routes({
      'POST /api/v2/signingCert': signingCert,
      // cosign 2 still speaks Fulcio's v1 API (token in the header, DER key, PEM chain back):
      // translated to the mock's v2 handler so cosign can sign against these services too.
      'POST /api/v1/signingCert': async (body, _url, headers) => {
        const request = JSON.parse(body) as {publicKey: {content: string}; signedEmailAddress: string}
        const key = Buffer.from(request.publicKey.content, 'base64')
        const v2 = {
          credentials: {oidcIdentityToken: String(headers.authorization ?? '').replace(/^Bearer /, '')},
          publicKeyRequest: {
            publicKey: {algorithm: 'ECDSA', content: key.toString().startsWith('-----BEGIN') ? key.toString() : derToPem('PUBLIC KEY', key)},
            proofOfPossession: request.signedEmailAddress,
          },
        }
        const result = await signingCertV2(JSON.stringify(v2))
        if (result.statusCode !== 201) return result
        const {signedCertificateEmbeddedSct} = JSON.parse(String(result.response)) as {signedCertificateEmbeddedSct: {chain: {certificates: string[]}}}
        return {statusCode: 201, response: signedCertificateEmbeddedSct.chain.certificates.join(''), contentType: 'application/pem-certificate-chain'}
      },
    }),
  )
  // The mock's tlog names checkpoints after the URL's host, so it needs the URL before serving.
  const rekorServer = createServer()
  const rekorURL = await bind(rekorServer)
  const tlog = await initializeTLog(rekorURL, rekorKeys)
  const createEntry = rekorHandler(tlog).fn
  const found = async (uuid: string | undefined): Promise<Result> => {
    const entry = uuid === undefined ? undefined : rekorEntries.get(uuid)
    if (!uuid || !entry) return {statusCode: 404, response: JSON.stringify({code: 404, message: 'entry not found'}), contentType: 'application/json'}
    return {statusCode: 200, response: JSON.stringify({[uuid]: entry}), contentType: 'application/json'}
  }
  rekorServer.on(
    'request',
    routes({
      'POST /api/v1/log/entries': async (body) => {
        requests.rekor++
        const result = await createEntry(JSON.stringify(canonicalEntry(JSON.parse(body))))
        if (result.statusCode !== 201) return result
        const created = JSON.parse(String(result.response)) as Record<string, RekorLogEntry>
        const [uuid] = Object.keys(created)
        rekorEntries.set(uuid, created[uuid])
        return {...result, headers: {location: `/api/v1/log/entries/${uuid}`}}
      },
      // Rekor's two lookups: by UUID, and by log index (what cosign's bundle annotation names).
      'GET /api/v1/log/entries/': async (_body, url) => found(url.pathname.slice('/api/v1/log/entries/'.length)),
      'GET /api/v1/log/entries': async (_body, url) => {
        const index = Number(url.searchParams.get('logIndex'))
        return found([...rekorEntries].find(([, entry]) => entry.logIndex === index)?.[0])
      },
      'GET /api/v1/log/publicKey': async () => ({statusCode: 200, response: pem(rekorKeys.publicKey), contentType: 'application/x-pem-file'}),
    }),
  )
  const tsaServer = await listen(routes({'POST /api/v1/timestamp': counted(requests, 'tsa', wholeMilliseconds(tsaHandler(tsa).fn))}))

  const fulcioURL = urlOf(fulcio)
  const tsaURL = urlOf(tsaServer)
  const rekorDer = spki(rekorKeys.publicKey)
  const ctlogDer = spki(ctlogKeys.publicKey)
  const trustedRoot: TrustedRootJSON = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [transparencyLog(rekorURL, rekorDer, validFrom)],
    certificateAuthorities: [
      {
        subject: {organization: 'sigstore.mock', commonName: 'sigstore'},
        uri: fulcioURL,
        certChain: {certificates: [{rawBytes: base64(ca.rootCertificate)}]},
        validFor: {start: validFrom},
      },
    ],
    ctlogs: [transparencyLog('http://127.0.0.1/ctlog', ctlogDer, validFrom)],
    timestampAuthorities: [
      {
        subject: {organization: 'sigstore.mock', commonName: 'tsa'},
        uri: tsaURL,
        // Leaf (the signing certificate) first, like sigstore's own trusted root.
        certChain: {certificates: [{rawBytes: base64(tsa.intCertificate)}, {rawBytes: base64(tsa.rootCertificate)}]},
        validFor: {start: validFrom},
      },
    ],
  }

  return {
    fulcioURL,
    rekorURL,
    tsaURL,
    trustedRoot,
    rekorPublicKeyPem: pem(rekorKeys.publicKey),
    ctlogPublicKeyPem: pem(ctlogKeys.publicKey),
    fulcioRootPem: certificatePem(ca.rootCertificate),
    rekorEntries,
    requests,
    identityToken: (claims = {}) => jwt(tokenKeys.privateKey, claims),
    writeTrustedRoot: (path) => writeFile(path, JSON.stringify(trustedRoot, null, 2)),
    async stop() {
      await Promise.all([fulcio, rekorServer, tsaServer].map(close))
    },
  }
}

type Result = Awaited<ReturnType<HandlerFn>> & {headers?: Record<string, string>}
type Route = (body: string, url: URL, headers: IncomingMessage['headers']) => Promise<Result>

/** Routes `METHOD /path` exactly, or by prefix when the key ends in `/`. */
function routes(table: Record<string, Route>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const key = `${req.method} ${url.pathname}`
      const route = table[key] ?? Object.entries(table).find(([k]) => k.endsWith('/') && key.startsWith(k))?.[1]
      if (!route) {
        res.writeHead(404, {'content-type': 'text/plain'}).end(`no route for ${key}`)
        return
      }

      route(Buffer.concat(chunks).toString('utf8'), url, req.headers).then(
        ({statusCode, response, contentType, headers}) => {
          const body = typeof response === 'string' ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength)
          res.writeHead(statusCode, {'content-type': contentType ?? 'text/plain', ...headers}).end(body)
        },
        (error: unknown) => res.writeHead(500, {'content-type': 'text/plain'}).end(String(error)),
      )
    })
  }
}

function counted(requests: SigstoreServices['requests'], name: keyof SigstoreServices['requests'], fn: HandlerFn): Route {
  return (body) => {
    requests[name]++
    return fn(body)
  }
}

/**
 * The mock TSA writes genTime with the fraction's trailing zeros trimmed (`…28.45Z`, as RFC 3161
 * asks), which @sigstore/core's parser refuses (it wants exactly three digits): about one answer in
 * ten. Asking again gives a fresh time; tests stay deterministic instead of failing one run in ten.
 */
function wholeMilliseconds(fn: HandlerFn): HandlerFn {
  return async (body) => {
    for (let attempt = 0; ; attempt++) {
      const result = await fn(body)
      const text = typeof result.response === 'string' ? result.response : bytes(result.response).toString('latin1')
      if (attempt >= 20 || !/\d{14}\.\d{1,2}Z/.test(text)) return result
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
  }
}

/**
 * What Rekor stores for a proposed entry. hashedrekord is stored as proposed; a DSSE entry is
 * stored as hashes and signatures, not the envelope (the mock would keep the proposal, which no
 * verifier accepts).
 */
function canonicalEntry(proposed: {kind?: string; apiVersion?: string; spec?: Record<string, unknown>}): object {
  if (proposed.kind !== 'dsse') return proposed
  const content = proposed.spec?.proposedContent as {envelope: string; verifiers: string[]}
  const envelope = JSON.parse(content.envelope) as {payload: string; signatures: {sig: string}[]}
  const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
  return {
    apiVersion: proposed.apiVersion,
    kind: 'dsse',
    spec: {
      envelopeHash: {algorithm: 'sha256', value: sha256(content.envelope)},
      payloadHash: {algorithm: 'sha256', value: sha256(Buffer.from(envelope.payload, 'base64'))},
      signatures: envelope.signatures.map((s, i) => ({signature: s.sig, verifier: content.verifiers[i] ?? content.verifiers[0]})),
    },
  }
}

function transparencyLog(baseUrl: string, der: Buffer, validFrom: string): object {
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: {start: validFrom}},
    logId: {keyId: createHash('sha256').update(der).digest('base64')},
  }
}

function jwt(key: KeyObject, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000)
  const header = {alg: 'ES256', typ: 'JWT'}
  const payload = {iss: TEST_ISSUER, sub: TEST_SUBJECT, aud: 'sigstore', iat: now, nbf: now, exp: now + 600, ...claims}
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  const signature = sign('sha256', Buffer.from(input), {key, dsaEncoding: 'ieee-p1363'})
  return `${input}.${base64url(signature)}`
}

function ecKeyPair(): {publicKey: KeyObject; privateKey: KeyObject} {
  return generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
}

const spki = (key: KeyObject) => key.export({type: 'spki', format: 'der'})
const pem = (key: KeyObject) => key.export({type: 'spki', format: 'pem'}).toString()
const bytes = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength)
const base64 = (view: ArrayBufferView) => bytes(view).toString('base64')
const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url')

function certificatePem(der: ArrayBufferView): string {
  return derToPem('CERTIFICATE', bytes(der))
}

function derToPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler)
  await bind(server)
  return server
}

function bind(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(urlOf(server)))
  })
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}
