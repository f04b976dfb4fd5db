/** What `sign` needs from the exporter's report.toml. */
export interface Report {
  /** every tag the image was exported to (may span several repositories and registries) */
  tags: string[]
  /** manifest digest, `sha256:<64 hex>` */
  digest: string
  /** manifest size in bytes, when the lifecycle recorded it */
  manifestSize?: number
  /** the path as the user gave it, for messages */
  file: string
}

export const EXPORT_SBOM_MODES = ['none', 'attestation', 'attachment'] as const
export type ExportSbom = (typeof EXPORT_SBOM_MODES)[number]

export const SIGNATURE_FORMATS = ['classic', 'bundle', 'both'] as const
export type SignatureFormat = (typeof SIGNATURE_FORMATS)[number]

/** One `[[configs]]` entry of cosign.toml: one key (or keyless signing) to sign every image with. */
export interface SigningConfig {
  /** absolute path of the private key (relative paths resolved against cosign.toml's folder); absent when keyless */
  key?: string
  /** where signatures go instead of the image's repository (COSIGN_REPOSITORY), e.g. registry.example.com/sigs */
  repository?: string
  /** COSIGN_DOCKER_MEDIA_TYPES: write Docker v2 media types instead of OCI */
  dockerMediaTypes: boolean
  /** absolute path of a file whose contents are the key password (COSIGN_PASSWORD) */
  passwordFile?: string
  /** how to publish the CNB SBOM, if the image has one */
  exportSbom: ExportSbom
  /** also sign each platform manifest of an image index */
  recursive: boolean
  /** classic `.sig` tags, sigstore bundles as referrers, or both */
  format: SignatureFormat
  /** sign with a Fulcio certificate for an OIDC identity token instead of a key (always logged in Rekor) */
  keyless: boolean
  /** key-based: also upload signatures to the Rekor transparency log */
  tlogUpload: boolean
  /** Fulcio (keyless); absent: public Sigstore's */
  fulcioUrl?: string
  /** Rekor (keyless, or tlog-upload); absent: public Sigstore's */
  rekorUrl?: string
  /** an RFC 3161 timestamp authority; absent: no timestamps */
  tsaUrl?: string
  /** also attest SLSA v1 provenance of the image (what went into it), next to its SBOM */
  provenance: boolean
  /** verify only: absolute path of the public key (else it is derived from `key`) */
  publicKey?: string
  /** verify only, keyless: who must have signed (exactly, or by regular expression) and their OIDC issuer */
  certificateIdentity?: string
  certificateIdentityRegexp?: string
  certificateOidcIssuer?: string
  certificateOidcIssuerRegexp?: string
  /** position in cosign.toml (0-based), for messages: "configs[1]" */
  index: number
}

/** cosign.toml: annotations added to every signature, and the keys to sign with. */
export interface CosignConfig {
  /** the path as the user gave it, for messages */
  file: string
  /** name → value, in file order */
  annotations: Record<string, string>
  /** at least one */
  configs: SigningConfig[]
}
