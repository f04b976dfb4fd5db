/** cosign's layer annotations for keyless and logged signatures (no dependencies: cheap to import). */
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate'
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain'
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle'
export const RFC3161_TIMESTAMP_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp'
