// Sigstore bundles as OCI referrers (cosign 3's format): what the signer writes and verify/ reads.
export {type BundleSigning, createDsseBundle} from './create.js'
export {BUNDLE_MEDIA_TYPE, COSIGN_SIGN_PREDICATE_TYPE, isCurrentBundle} from './media-types.js'
export {type BundleReferrer, readBundleReferrers} from './read.js'
export {cosignSignStatement, type InTotoStatement} from './statement.js'
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
} from './write.js'
