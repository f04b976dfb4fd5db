// Every annotation name cosign writes or reads, in one place (no imports: cheap to load anywhere).

/** A classic `.sig` layer's signature, base64 (docs/formats.md §1). */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
/** Keyless and logged classic layers: the Fulcio certificate, its chain, the Rekor bundle, a TSA stamp. */
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate'
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain'
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle'
export const RFC3161_TIMESTAMP_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp'

/** A Sigstore bundle referrer's manifest annotations (docs/formats.md §4). */
export const BundleAnnotation = {
  content: 'dev.sigstore.bundle.content',
  predicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
} as const
