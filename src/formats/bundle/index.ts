/** Sigstore bundles as OCI referrers (cosign 3's format): what commands and the signer use. */
export {type BundleSigning, createDsseBundle} from './create.js'
export {isKeySigner, publicKeyHint, sigstoreKeySigner} from './key-signer.js'
export {BUNDLE_MEDIA_TYPE, BundleAnnotation, COSIGN_SIGN_PREDICATE_TYPE, isCurrentBundle} from './media-types.js'
export {type BundleReferrer, readBundleReferrers} from './read.js'
export {type BundleVerifier, bundleVerifier, type TrustOptions} from './sigstore-verifier.js'
export {cosignSignStatement, type InTotoStatement} from './statement.js'
export {type BundleVerifyRequest, type BundleVerifyResult, type VerifiedBundle, verifyBundles} from './verify.js'
export {
  attestationItem,
  type BundleAttestationRequest,
  type BundleItem,
  type BundleSignatureRequest,
  type BundleSubject,
  type BundleTarget,
  type BundleWriteResult,
  BundleWriter,
  signatureItem,
  writeBundleAttestation,
  writeBundleSignature,
} from './write.js'
