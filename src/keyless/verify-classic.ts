import {bundleFromClassic} from './classic-bundle.js'
import {type BundleVerifyOptions, type VerifiedBundle, verifyBundle} from './verify-bundle.js'

/**
 * Verifies one classic `.sig` layer — its payload and its annotations as read from the registry —
 * keyless (certificate, chain, Rekor bundle, identity policy) or key-based with its transparency
 * log entry (`publicKeyPem`; without `insecureIgnoreTlog` the Rekor bundle must be there and valid).
 */
export interface ClassicLayer {
  payload: Buffer
  annotations: Record<string, string>
}

export function verifyClassicSignature(layer: ClassicLayer, options: BundleVerifyOptions): VerifiedBundle {
  return verifyBundle(bundleFromClassic(layer.payload, layer.annotations), layer.payload, options)
}
