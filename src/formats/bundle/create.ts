import {type BundleWithDsseEnvelope, bundleToJSON} from '@sigstore/bundle'
import {type Artifact, DSSEBundleBuilder, type Signature, type Signer as SigstoreSigner, type Witness} from '@sigstore/sign'

import {isKeySigner, type Signer, sigstoreSigner} from '../../keys/index.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../dsse.js'

// Sigstore bundles (v0.3) over an in-toto statement, made by @sigstore/sign's DSSE builder: the
// signer signs the DSSE pre-authentication encoding, each witness (Rekor, TSA) adds its entry.

export interface BundleSigning {
  /** A key we hold (key file, KMS) or any @sigstore/sign Signer, e.g. Fulcio for keyless. */
  signer: Signer | SigstoreSigner
  /** Transparency log / timestamp witnesses; none for offline key signing (cosign --tlog-upload=false). */
  witnesses?: Witness[]
}

/**
 * cosign (through sigstore-go) leaves the DSSE signature's keyid empty and puts the key hint only
 * in verificationMaterial; @sigstore/sign copies the hint into keyid as well. Clearing it before
 * the witnesses run keeps our envelopes like cosign's, and what Rekor records matches the bundle.
 */
class CosignDsseBundleBuilder extends DSSEBundleBuilder {
  protected override async package(artifact: Artifact, signature: Signature): Promise<BundleWithDsseEnvelope> {
    const bundle = await super.package(artifact, signature)
    bundle.content.dsseEnvelope.signatures = bundle.content.dsseEnvelope.signatures.map((s) => ({...s, keyid: ''}))
    return bundle
  }
}

/** The bundle JSON for an in-toto statement, as stored in the referrer's layer. */
export async function createDsseBundle(statement: Buffer, signing: BundleSigning): Promise<Buffer> {
  const signer = isKeySigner(signing.signer) ? sigstoreSigner(signing.signer) : signing.signer
  const builder = new CosignDsseBundleBuilder({signer, witnesses: signing.witnesses ?? []})
  const bundle = await builder.create({data: statement, type: IN_TOTO_PAYLOAD_TYPE})
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)))
}
