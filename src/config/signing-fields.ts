import {type FieldRule, flag, oneOf, optionalPath, optionalWord, requiredPath} from './field-rules.js'
import {EXPORT_SBOM_MODES, SIGNATURE_FORMATS, type SigningConfig} from './types.js'

/**
 * The keys a `[[configs]]` entry may hold, in the order messages list them. Adding a key is one
 * line here plus its field in SigningConfig; the mapped type makes the compiler insist on both.
 * The first four come from the RFC, the rest are this plugin's additions.
 */
export const SIGNING_FIELDS: {readonly [F in Exclude<keyof SigningConfig, 'index'>]-?: FieldRule<SigningConfig[F]>} = {
  key: requiredPath('key', 'path to the private key'),
  repository: optionalWord('repository', 'a repository for signatures, like registry.example.com/sigs'),
  dockerMediaTypes: flag('docker-media-types', false),
  passwordFile: optionalPath('password', 'path to a file holding the key password'),
  exportSbom: oneOf('export-sbom', EXPORT_SBOM_MODES, 'attestation'),
  recursive: flag('recursive', false),
  format: oneOf('format', SIGNATURE_FORMATS, 'classic'),
  keyless: flag('keyless', false),
  tlogUpload: flag('tlog-upload', false),
}

/** The TOML names, for "allowed:" lists. */
export const SIGNING_KEYS: readonly string[] = Object.values(SIGNING_FIELDS).map((rule) => rule.name)
