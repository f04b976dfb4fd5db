import {DEFAULT_REKOR_URL} from '../keyless/defaults.js'
import {type FulcioCertificate} from '../keyless/index.js'
import {type Signer} from '../keys/index.js'
import {type Witnessing} from './write-signature.js'

// How signatures are made and witnessed — with a key or keyless (a Fulcio certificate for an OIDC
// identity), with or without Rekor and a timestamp authority — as a cosign.toml config or the
// `sign` flags say. A SigningConfig is one as it is.

export interface SigningMethod {
  keyless: boolean
  /** Key-based: upload each signature to Rekor. Keyless always does, as cosign. */
  tlogUpload: boolean
  /** Default: public Sigstore's Fulcio. */
  fulcioUrl?: string
  /** Default: public Sigstore's Rekor. */
  rekorUrl?: string
  /** Default: none (no timestamps). */
  tsaUrl?: string
}

/** What writeSignature / writeSbomAttestation sign with. */
export interface Signing {
  signer: Signer
  witnessing?: Witnessing
}

export interface KeylessSigning extends Signing {
  witnessing: Witnessing & {certificate: () => Promise<FulcioCertificate>; rekorUrl: string}
  fulcioUrl: string
}

/** Key-based: the key, plus Rekor with `tlog-upload` and the TSA when one is named. */
export function keySigning(signer: Signer, method: SigningMethod): Signing {
  const rekorUrl = method.tlogUpload ? (method.rekorUrl ?? DEFAULT_REKOR_URL) : undefined
  if (rekorUrl === undefined && method.tsaUrl === undefined) return {signer}
  return {signer, witnessing: {...(rekorUrl ? {rekorUrl} : {}), ...(method.tsaUrl ? {tsaUrl: method.tsaUrl} : {})}}
}
