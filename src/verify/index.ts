// Verification, in one place: classic `.sig`/`.att` tags and Sigstore bundle referrers, by key or
// keyless (certificate identity, transparency log, timestamps). Other folders import from here.
export {type BundleVerifyRequest, type BundleVerifyResult, verifyBundles} from './bundles.js'
export {bundleFromClassic, bundleFromClassicAttestation} from './classic-bundle.js'
export {compilePolicy, type IdentityPolicy} from './identity-policy.js'
export {loadTrust, type Trust, type TrustRequest, type VerifiedItem, verifyImage, type VerifyImageRequest} from './image.js'
export {type BundleVerifier, bundleVerifier, type TrustOptions} from './sigstore-verifier.js'
export {type BundleVerifyOptions, type VerifiedBundle, verifyBundle} from './witnessed-bundle.js'
