import {messageOf, PluginError} from '../errors.js'
import {httpRequest, HttpTransportError} from '../http/http.js'
import {splitCertificates} from './certificate.js'
import {httpStatusError, oneLine} from './service-error.js'

// Fulcio's v2 signingCert call: trade an identity token and a proof of possession of our key for
// a certificate chain. Our own call rather than @sigstore/sign's FulcioSigner because that signer
// asks for a new certificate on every signature and keeps only the leaf, while cosign asks once
// per run and writes the rest of the chain into `dev.sigstore.cosign/chain`.

export {DEFAULT_FULCIO_URL} from './defaults.js'

export interface CertificateRequest {
  identityToken: string
  /** SPKI PEM of the key to certify. */
  publicKeyPem: string
  /** The key's signature over the token's subject. */
  proofOfPossession: Buffer
}

interface SigningCertificateResponse {
  signedCertificateEmbeddedSct?: {chain?: {certificates?: unknown}}
  signedCertificateDetachedSct?: {chain?: {certificates?: unknown}}
}

/** The PEM chain Fulcio issued, leaf first. */
export async function requestCertificateChain(fulcioURL: string, request: CertificateRequest, timeoutMs?: number): Promise<string[]> {
  const url = new URL('/api/v2/signingCert', fulcioURL)
  const body = {
    credentials: {oidcIdentityToken: request.identityToken},
    publicKeyRequest: {
      publicKey: {algorithm: 'ECDSA', content: request.publicKeyPem},
      proofOfPossession: request.proofOfPossession.toString('base64'),
    },
  }
  let response
  try {
    response = await httpRequest({
      method: 'POST',
      url,
      headers: {'content-type': 'application/json', accept: 'application/json'},
      body: Buffer.from(JSON.stringify(body)),
      timeoutMs,
    })
  } catch (error) {
    if (error instanceof HttpTransportError) {
      throw new PluginError('SIGSTORE_SERVICE', `Fulcio at ${fulcioURL} is unreachable: ${error.message}`, {cause: error})
    }

    throw error
  }

  const text = response.body.toString('utf8')
  if (response.status !== 200 && response.status !== 201) {
    throw httpStatusError(response.status, errorDetail(text), 'Fulcio', fulcioURL)
  }

  return chainOf(text, fulcioURL)
}

function chainOf(text: string, fulcioURL: string): string[] {
  let parsed: SigningCertificateResponse
  try {
    parsed = JSON.parse(text) as SigningCertificateResponse
  } catch (error) {
    // JSON.parse quotes the text it choked on: server text, so secrets come out (oneLine).
    throw new PluginError('SIGSTORE_SERVICE', `Fulcio at ${fulcioURL} answered with something other than JSON: ${oneLine(messageOf(error))}`)
  }

  // Public Fulcio embeds the SCT in the certificate; a detached SCT is accepted but not kept.
  const certificates = (parsed.signedCertificateEmbeddedSct ?? parsed.signedCertificateDetachedSct)?.chain?.certificates
  const chain = Array.isArray(certificates) ? certificates.filter((c): c is string => typeof c === 'string').flatMap(splitCertificates) : []
  if (chain.length === 0) {
    throw new PluginError('SIGSTORE_SERVICE', `Fulcio at ${fulcioURL} answered without a certificate chain`)
  }

  return chain
}

/** Fulcio errors are JSON `{code, message}`; the mock answers plain text. */
function errorDetail(text: string): string {
  try {
    const message = (JSON.parse(text) as {message?: unknown}).message
    if (typeof message === 'string') return message
  } catch {
    // not JSON: use the text
  }

  return text
}
