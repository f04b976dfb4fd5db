/** cosign.toml and report.toml: parsing and strict validation. */
export {parseCosignConfig, readCosignConfig} from './cosign.js'
export {parseReport, readReport} from './report.js'
export {SIGNING_FIELDS, SIGNING_KEYS} from './signing-fields.js'
export {
  type CosignConfig,
  EXPORT_SBOM_MODES,
  type ExportSbom,
  type Report,
  SIGNATURE_FORMATS,
  type SignatureFormat,
  type SigningConfig,
} from './types.js'
