// Names cosign uses for Sigstore bundles stored as OCI referrers (docs/formats.md §4; cosign's
// pkg/oci/remote/write.go `WriteAttestationNewBundleFormat`); the annotations are in ../annotations.ts.
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json'
/** cosign 3 signs an image as a DSSE bundle over an in-toto Statement v1 of this predicate type. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1'

/** The OCI empty descriptor's content: the config of an artifact manifest. */
export const EMPTY_CONFIG = Buffer.from('{}')

/**
 * The bundle format version of a media type (`…bundle.v0.3+json` or the older
 * `…bundle+json;version=0.3`) as [major, minor], or undefined when it is not a bundle.
 */
export function bundleVersion(mediaType: string | undefined): [number, number] | undefined {
  const match = /^application\/vnd\.dev\.sigstore\.bundle(?:\.v(\d+)\.(\d+)\+json|\+json;\s*version=(\d+)\.(\d+))$/.exec(mediaType ?? '')
  if (!match) return undefined
  return [Number(match[1] ?? match[3]), Number(match[2] ?? match[4])]
}

/** cosign reads only v0.3 and later bundles from referrers; so do we. */
export function isCurrentBundle(mediaType: string | undefined): boolean {
  const version = bundleVersion(mediaType)
  return version !== undefined && (version[0] > 0 || version[1] >= 3)
}
