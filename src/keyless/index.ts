// Keyless signing (Fulcio), transparency-log upload (Rekor) and timestamps (TSA), through the
// `sigstore` packages. Verification lives in ../verify. Other folders import from here.
export {type CertificateIdentity, certificateIdentity, OID_ISSUER_V1, OID_ISSUER_V2, splitCertificates} from './certificate.js'
export {
  classicAnnotations,
  type ClassicSignatureToWitness,
  type ClassicWitnessed,
  type ClassicWitnessOptions,
  witnessClassicSignature,
} from './classic-annotations.js'
export {DEFAULT_FULCIO_URL} from './fulcio.js'
export {identityToken, type IdentityToken, type IdentityTokenOptions, type IdentityTokenSource} from './identity-token.js'
export {type FulcioCertificate, type KeylessSigner, keylessSigner, type KeylessSignerOptions} from './keyless-signer.js'
export {parseRekorBundle, type RekorBundle, rekorBundle, serializeRekorBundle, tlogEntryFromRekorBundle} from './rekor-bundle.js'
export {type RekorOptions, type SignedPayload, uploadEnvelope, uploadMessageSignature} from './tlog-upload.js'
export {loadTrustedRoot, parseTrustedRoot, type TrustedRoot} from './trusted-root.js'
export {DEFAULT_REKOR_URL, rekorWitness, type RekorWitnessOptions, type ServiceOptions, tsaWitness} from './witnesses.js'
