import {type FieldRule, flag, oneOf, optionalKey, optionalPath, optionalText, optionalUrl, optionalWord} from './field-rules.js'
import {EXPORT_SBOM_MODES, SIGNATURE_FORMATS, type SigningConfig} from './types.js'
import type {Table} from './values.js'

/**
 * The keys a `[[configs]]` entry may hold, in the order messages list them. Adding a key is one
 * line here plus its field in SigningConfig; the mapped type makes the compiler insist on both.
 * The first four come from the RFC, the rest are this plugin's additions.
 */
export const SIGNING_FIELDS: {readonly [F in Exclude<keyof SigningConfig, 'index'>]-?: FieldRule<SigningConfig[F]>} = {
  key: optionalKey('key', 'path to the private key, or a pkcs11: URI'),
  repository: optionalWord('repository', 'a repository for signatures, like registry.example.com/sigs'),
  dockerMediaTypes: flag('docker-media-types', false),
  passwordFile: optionalPath('password', 'path to a file holding the key password'),
  exportSbom: oneOf('export-sbom', EXPORT_SBOM_MODES, 'attestation'),
  recursive: flag('recursive', false),
  format: oneOf('format', SIGNATURE_FORMATS, 'classic'),
  keyless: flag('keyless', false),
  tlogUpload: flag('tlog-upload', false),
  fulcioUrl: optionalUrl('fulcio-url', "Fulcio's URL, like https://fulcio.sigstore.dev"),
  rekorUrl: optionalUrl('rekor-url', "Rekor's URL, like https://rekor.sigstore.dev"),
  tsaUrl: optionalUrl('tsa-url', "a timestamp authority's URL, like https://timestamp.example.com"),
  provenance: flag('provenance', false),
  publicKey: optionalKey('public-key', 'path to the public key (or a pkcs11: URI), for verify'),
  certificateIdentity: optionalText('certificate-identity', "the signer's identity (a certificate SAN), for verify"),
  certificateIdentityRegexp: optionalText('certificate-identity-regexp', "a regular expression the signer's identity must match, for verify"),
  certificateOidcIssuer: optionalText('certificate-oidc-issuer', "the signer's OIDC issuer, for verify"),
  certificateOidcIssuerRegexp: optionalText('certificate-oidc-issuer-regexp', 'a regular expression the OIDC issuer must match, for verify'),
}

/** The TOML names, for "allowed:" lists. */
export const SIGNING_KEYS: readonly string[] = Object.values(SIGNING_FIELDS).map((rule) => rule.name)

/**
 * Rules between keys: a config signs with a key or keyless, and the service URLs belong to the way
 * it signs. `table` says which keys are present, `config` holds the values that were valid (a
 * rule whose inputs were invalid stays quiet: that key has its own message). `at` is the TOML key
 * whose line the message points at (the `[[configs]]` header when absent); `message` follows
 * `configs[N]`.
 */
export function combinationProblems(config: Partial<SigningConfig>, table: Table): {at?: string; message: string}[] {
  const problems: {at?: string; message: string}[] = []
  const present = (name: string) => table[name] !== undefined
  if (present('keyless') && config.keyless === undefined) return problems
  if (config.keyless) {
    if (present('key')) {
      problems.push({at: 'keyless', message: ' has both "key" and keyless = true; a config signs with a key or keyless: drop one of them'})
    } else if (present('password')) {
      problems.push({at: 'password', message: '.password is the password of a key; a keyless config has no key: drop it'})
    }

    if (present('public-key')) {
      problems.push({at: 'public-key', message: '.public-key is for key-based configs; a keyless config is verified by certificate-identity and certificate-oidc-issuer'})
    }

    for (const both of ['certificate-identity', 'certificate-oidc-issuer']) {
      if (present(both) && present(`${both}-regexp`)) problems.push({at: `${both}-regexp`, message: ` has both ${both} and ${both}-regexp; give one of them`})
    }

    if (table['tlog-upload'] === false) {
      problems.push({at: 'tlog-upload', message: '.tlog-upload = false cannot apply: keyless signing always records the signature in Rekor (as cosign does)'})
    }

    return problems
  }

  if (!present('key') && !present('public-key')) {
    problems.push({message: ' has no "key" (path to the private key); or set keyless = true to sign with an OIDC identity token'})
  }

  for (const name of ['certificate-identity', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'certificate-oidc-issuer-regexp']) {
    if (present(name)) problems.push({at: name, message: `.${name} is used only with keyless = true (a key config is verified by its key)`})
  }

  if (present('fulcio-url')) problems.push({at: 'fulcio-url', message: '.fulcio-url is used only with keyless = true'})
  if (present('rekor-url') && table['tlog-upload'] !== true && config.tlogUpload !== undefined) {
    problems.push({at: 'rekor-url', message: '.rekor-url is used only with keyless = true or tlog-upload = true'})
  }

  return problems
}
