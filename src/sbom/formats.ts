// The three SBOM formats the CNB platform spec allows in the SBOM layer, keyed by the file
// extension the lifecycle uses, with what cosign needs to publish each one: the media type of a
// `.sbom` attachment layer (docs/formats.md §3) and the in-toto predicate type of an attestation (§2).

export type SbomFormat = 'cyclonedx' | 'spdx' | 'syft'

export interface SbomFormatInfo {
  format: SbomFormat
  /** File name inside the layer: `sbom.<ext>`. */
  fileName: string
  mediaType: string
  predicateType: string
}

export const SBOM_FORMATS: readonly SbomFormatInfo[] = Object.freeze([
  {
    format: 'cyclonedx',
    fileName: 'sbom.cdx.json',
    mediaType: 'application/vnd.cyclonedx+json',
    // cosign `attest --type cyclonedx` (in-toto's PredicateCycloneDX).
    predicateType: 'https://cyclonedx.org/bom',
  },
  {
    format: 'spdx',
    fileName: 'sbom.spdx.json',
    mediaType: 'text/spdx+json',
    // cosign `attest --type spdxjson` (in-toto's PredicateSPDX).
    predicateType: 'https://spdx.dev/Document',
  },
  {
    format: 'syft',
    fileName: 'sbom.syft.json',
    mediaType: 'application/vnd.syft+json',
    // cosign has no `--type` keyword for Syft JSON. This is the URI Syft itself put on its
    // attestations when it signed them in-process (anchore/syft `syft attest`, formatPredicateType:
    // syftjson → "https://syft.dev/bom"), and what users pass as `cosign attest --type
    // https://syft.dev/bom`. Given a URI, cosign embeds the document as the predicate unchanged
    // (unlike `--type custom`, which wraps it in {Data, Timestamp}), so `cosign verify-attestation
    // --type https://syft.dev/bom` finds these and the predicate is the Syft document itself.
    predicateType: 'https://syft.dev/bom',
  },
])

export function formatForFileName(fileName: string): SbomFormatInfo | undefined {
  return SBOM_FORMATS.find((info) => info.fileName === fileName)
}
