import {createPublicKey, generateKeyPairSync, sign} from 'node:crypto'

import type {IdentityProvider, Signer as SigstoreSigner} from '@sigstore/sign'

import {messageOf, PluginError} from '../errors.js'
import {type Signer, signerFromKey} from '../keys/index.js'
import {type CertificateIdentity, certificateIdentity, parseCertificate} from './certificate.js'
import {DEFAULT_FULCIO_URL, requestCertificateChain} from './fulcio.js'
import {type IdentityToken, SOURCE_DESCRIPTION} from './identity-token.js'
import {assertNotExpired, tokenClaims, tokenSubject} from './jwt.js'

// Keyless signing: an ephemeral P-256 key, certified by Fulcio for the identity token's subject.
// Like cosign, one certificate serves the whole run (every image signed by this signer); it is
// requested on first use and again only when less than a minute of its ten is left.

export interface KeylessSignerOptions {
  identity: IdentityToken | IdentityProvider
  /** Default: public Sigstore's Fulcio. */
  fulcioURL?: string
  timeoutMs?: number
}

export interface FulcioCertificate {
  /** The leaf, PEM: cosign's `dev.sigstore.cosign/certificate`. */
  certificatePem: string
  /** The issuing certificates, PEM, the leaf's issuer first: cosign's `dev.sigstore.cosign/chain`. */
  chainPem: string[]
  identity: CertificateIdentity
  notBefore: Date
  notAfter: Date
}

export interface KeylessSigner {
  /** Our Signer over the ephemeral key, for code that signs with any key (the classic path). */
  readonly signer: Signer
  /** The same key as @sigstore/sign's Signer, presenting the certificate (for bundle builders). */
  readonly sigstoreSigner: SigstoreSigner
  /** The certificate for the ephemeral key; Fulcio is asked on first use only. */
  certificate(): Promise<FulcioCertificate>
}

const RENEW_BEFORE_EXPIRY_MS = 60_000

export function keylessSigner(options: KeylessSignerOptions): KeylessSigner {
  const fulcioURL = options.fulcioURL ?? DEFAULT_FULCIO_URL
  const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const signer = signerFromKey(privateKey, 'the ephemeral keyless signing key')
  const publicKeyDer = createPublicKey(privateKey).export({type: 'spki', format: 'der'})
  const source = 'source' in options.identity ? SOURCE_DESCRIPTION[options.identity.source] : 'the identity provider'

  const issue = async (): Promise<FulcioCertificate> => {
    const token = await getToken(options.identity, source)
    const claims = tokenClaims(token, source)
    assertNotExpired(claims, source)
    const proofOfPossession = sign('sha256', Buffer.from(tokenSubject(claims, source)), privateKey)
    const request = {identityToken: token, publicKeyPem: signer.publicKeyPem, proofOfPossession}
    const [leafPem, ...chainPem] = await requestCertificateChain(fulcioURL, request, options.timeoutMs)
    const leaf = parseCertificate(leafPem, `the certificate from Fulcio at ${fulcioURL}`, 'SIGSTORE_SERVICE')
    if (!leaf.publicKey.equals(publicKeyDer)) {
      throw new PluginError('SIGSTORE_SERVICE', `Fulcio at ${fulcioURL} answered with a certificate for another key`)
    }

    return {certificatePem: leafPem, chainPem, identity: certificateIdentity(leaf), notBefore: leaf.notBefore, notAfter: leaf.notAfter}
  }

  // Checked synchronously so concurrent callers share one request; a failure is not cached.
  let cached: Promise<FulcioCertificate> | undefined
  let renewAt = 0
  const certificate = (): Promise<FulcioCertificate> => {
    if (!cached || Date.now() >= renewAt) {
      renewAt = Number.POSITIVE_INFINITY
      const next: Promise<FulcioCertificate> = issue().then(
        (issued) => {
          renewAt = issued.notAfter.getTime() - RENEW_BEFORE_EXPIRY_MS
          return issued
        },
        (error: unknown) => {
          if (cached === next) cached = undefined
          throw error
        },
      )
      cached = next
    }

    return cached
  }

  return {
    signer,
    certificate,
    sigstoreSigner: {
      async sign(data) {
        const {certificatePem} = await certificate()
        return {signature: await signer.sign(data), key: {$case: 'x509Certificate', certificate: certificatePem}}
      },
    },
  }
}

async function getToken(identity: IdentityProvider, source: string): Promise<string> {
  try {
    return await identity.getToken()
  } catch (error) {
    if (error instanceof PluginError) throw error
    throw new PluginError('USAGE', `could not get an identity token from ${source}: ${messageOf(error)}`, {cause: error})
  }
}
