/**
 * Keyless signing (Fulcio), transparency-log upload (Rekor), timestamps (TSA) and their
 * verification, through the `sigstore` packages. Other folders import from here.
 */
export {type CertificateIdentity, OID_ISSUER_V1, OID_ISSUER_V2} from './certificate.js'
export {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  classicAnnotations,
  type ClassicSignatureToWitness,
  type ClassicWitnessed,
  type ClassicWitnessOptions,
  RFC3161_TIMESTAMP_ANNOTATION,
  witnessClassicSignature,
} from './classic-annotations.js'
export {bundleFromClassic, bundleFromClassicAttestation} from './classic-bundle.js'
export {DEFAULT_FULCIO_URL} from './fulcio.js'
export {identityToken, type IdentityToken, type IdentityTokenOptions, type IdentityTokenSource} from './identity-token.js'
export {compilePolicy, type IdentityPolicy} from './identity-policy.js'
export {publicKeyHint, sigstoreSigner} from './key-signer.js'
export {type FulcioCertificate, type KeylessSigner, keylessSigner, type KeylessSignerOptions} from './keyless-signer.js'
export {parseRekorBundle, type RekorBundle, rekorBundle, serializeRekorBundle, tlogEntryFromRekorBundle} from './rekor-bundle.js'
export {type RekorOptions, type SignedPayload, uploadEnvelope, uploadMessageSignature} from './tlog-upload.js'
export {loadTrustedRoot, parseTrustedRoot, type TrustedRoot} from './trusted-root.js'
export {type BundleVerifyOptions, type VerifiedBundle, verifyBundle} from './verify-bundle.js'
export {type ClassicLayer, verifyClassicSignature} from './verify-classic.js'
export {DEFAULT_REKOR_URL, rekorWitness, type RekorWitnessOptions, type ServiceOptions, tsaWitness} from './witnesses.js'
