import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseCosignConfig} from '../../src/config/index.js'
import {isPluginError} from '../../src/errors.js'

const ALLOWED_CONFIG_KEYS = 'key, repository, docker-media-types, password, export-sbom, recursive, format, keyless, tlog-upload, fulcio-url, rekor-url, tsa-url, provenance, public-key, certificate-identity, certificate-identity-regexp, certificate-oidc-issuer, certificate-oidc-issuer-regexp'
const NO_KEY = 'has no "key" (path to the private key); or set keyless = true to sign with an OIDC identity token'
const ANNOTATION_HOW = 'each [[annotations]] needs name = "<name>" and value = "<value>"'

/** Lines joined with \n, so a fixture's line numbers can be read off the array. */
const toml = (...lines: string[]): string => lines.join('\n') + '\n'

function refused(text: string, message: string): void {
  assert.throws(
    () => parseCosignConfig(text, 'cosign.toml'),
    (error) => {
      assert.ok(isPluginError(error), `not a PluginError: ${error}`)
      assert.equal(error.code, 'CONFIG_INVALID')
      assert.equal(error.message, message)
      return true
    },
  )
}

describe('parseCosignConfig refuses', () => {
  it('an unknown top-level key or table', () => {
    refused(
      toml('signer = "x"', '[[configs]]', 'key = "k"'),
      'cosign.toml:1: unknown key "signer" at the top level; allowed: annotations, configs',
    )
    refused(
      toml('[[configs]]', 'key = "k"', '', '[options]', 'x = 1'),
      'cosign.toml:4: unknown key "options" at the top level; allowed: annotations, configs',
    )
  })

  it('an unknown key in [[configs]]', () => {
    refused(toml('[[configs]]', 'key = "cosign.key"', 'keyy = "typo"'), `cosign.toml:3: unknown key "keyy" in [[configs]]; allowed: ${ALLOWED_CONFIG_KEYS}`)
  })

  it('an unknown key in the second [[configs]], on its own line', () => {
    refused(
      toml('[[configs]]', 'key = "a"', 'keyy = 1', '[[configs]]', 'key = "b"', '  keyy = 2'),
      [
        'cosign.toml: 2 problems:',
        `  cosign.toml:3: unknown key "keyy" in [[configs]]; allowed: ${ALLOWED_CONFIG_KEYS}`,
        `  cosign.toml:6: unknown key "keyy" in [[configs]]; allowed: ${ALLOWED_CONFIG_KEYS}`,
      ].join('\n'),
    )
  })

  it('an unknown key in [[annotations]]', () => {
    refused(
      toml('[[annotations]]', 'name = "a"', 'value = "b"', 'vaule = "c"', '', '[[configs]]', 'key = "k"'),
      'cosign.toml:4: unknown key "vaule" in [[annotations]]; allowed: name, value',
    )
  })

  it('a sub-table inside [[configs]]', () => {
    refused(toml('[[configs]]', 'key = "k"', '[configs.extra]', 'a = 1'), `cosign.toml:3: unknown key "extra" in [[configs]]; allowed: ${ALLOWED_CONFIG_KEYS}`)
  })

  it('wrong types', () => {
    refused(
      toml('[[configs]]', 'key = "k"', 'docker-media-types = "true"'),
      'cosign.toml:3: configs[0].docker-media-types is a string ("true"); expected a boolean (true or false)',
    )
    refused(toml('[[configs]]', 'key = 42'), 'cosign.toml:2: configs[0].key is an integer (42); expected a string: path to the private key, or a pkcs11: URI')
    refused(
      toml('[[configs]]', 'key = "k"', 'password = ["a"]'),
      'cosign.toml:3: configs[0].password is an array; expected a string: path to a file holding the key password',
    )
    refused(
      toml('[[configs]]', 'key = "k"', 'repository = true'),
      'cosign.toml:3: configs[0].repository is a boolean (true); expected a string: a repository for signatures, like registry.example.com/sigs',
    )
    refused(toml('[[configs]]', 'key = "k"', 'recursive = 1.5'), 'cosign.toml:3: configs[0].recursive is a float (1.5); expected a boolean (true or false)')
  })

  it('empty or spaced strings where a path or repository is expected', () => {
    refused(toml('[[configs]]', 'key = ""'), 'cosign.toml:2: configs[0].key is empty; expected path to the private key, or a pkcs11: URI')
    refused(
      toml('[[configs]]', 'key = "k"', 'repository = "registry.example.com/my sigs"'),
      'cosign.toml:3: configs[0].repository is "registry.example.com/my sigs"; expected a repository for signatures, like registry.example.com/sigs, without spaces',
    )
  })

  it('bad enum values, listing what is allowed', () => {
    refused(
      toml('# signing', '[[annotations]]', 'name = "org"', 'value = "acme"', '[[configs]]', 'key = "cosign.key"', 'export-sbom = "sbom"'),
      'cosign.toml:7: configs[0].export-sbom is "sbom"; allowed: none, attestation, attachment',
    )
    refused(toml('[[configs]]', 'key = "k"', 'format = "dsse"'), 'cosign.toml:3: configs[0].format is "dsse"; allowed: classic, bundle, both')
    refused(toml('[[configs]]', 'key = "k"', 'export-sbom = false'), 'cosign.toml:3: configs[0].export-sbom is a boolean (false); allowed: none, attestation, attachment')
  })

  it('a [[configs]] without key, at its header line', () => {
    refused(
      toml('[[configs]]', 'key = "a.key"', '', '# second key', '[[configs]]', 'repository = "registry.example.com/sigs"'),
      `cosign.toml:5: configs[1] ${NO_KEY}`,
    )
  })

  it('a key and keyless together, or keyless with what only a key or no log has', () => {
    refused(
      toml('[[configs]]', 'key = "a.key"', 'keyless = true'),
      'cosign.toml:3: configs[0] has both "key" and keyless = true; a config signs with a key or keyless: drop one of them',
    )
    refused(toml('[[configs]]', 'keyless = true', 'password = "pw"'), 'cosign.toml:3: configs[0].password is the password of a key; a keyless config has no key: drop it')
    refused(
      toml('[[configs]]', 'keyless = true', 'tlog-upload = false'),
      'cosign.toml:3: configs[0].tlog-upload = false cannot apply: keyless signing always records the signature in Rekor (as cosign does)',
    )
    // keyless = false is a key-based config, which needs its key.
    refused(toml('[[configs]]', 'keyless = false'), `cosign.toml:1: configs[0] ${NO_KEY}`)
  })

  it('service URLs that do not fit the way the config signs, or are not URLs', () => {
    refused(toml('[[configs]]', 'key = "k"', 'fulcio-url = "https://fulcio.example.com"'), 'cosign.toml:3: configs[0].fulcio-url is used only with keyless = true')
    refused(
      toml('[[configs]]', 'key = "k"', 'rekor-url = "https://rekor.example.com"'),
      'cosign.toml:3: configs[0].rekor-url is used only with keyless = true or tlog-upload = true',
    )
    refused(
      toml('[[configs]]', 'keyless = true', 'rekor-url = "rekor.example.com"'),
      `cosign.toml:3: configs[0].rekor-url is "rekor.example.com"; expected Rekor's URL, like https://rekor.sigstore.dev`,
    )
    refused(
      toml('[[configs]]', 'keyless = true', 'tsa-url = 1'),
      `cosign.toml:3: configs[0].tsa-url is an integer (1); expected a string: a timestamp authority's URL, like https://timestamp.example.com`,
    )
  })

  it('missing or empty configs', () => {
    const none = 'cosign.toml: no [[configs]]; add at least one [[configs]] with key = "<path>" (or keyless = true)'
    refused('', none)
    refused(toml('[[annotations]]', 'name = "a"', 'value = "b"'), none)
    refused(toml('configs = []'), none)
  })

  it('configs that are not an array of tables', () => {
    refused(toml('[configs]', 'key = "k"'), 'cosign.toml:1: configs is a table; expected one or more [[configs]] tables')
    refused(toml('configs = ["a.key"]'), 'cosign.toml:1: configs[0] is a string ("a.key"); expected a table with key = "<path>"')
  })

  it('an annotation without value or name, at its header line', () => {
    refused(toml('[[annotations]]', 'name = "team"', '[[configs]]', 'key = "k"'), `cosign.toml:1: annotations[0] has no "value"; ${ANNOTATION_HOW}`)
    refused(toml('[[configs]]', 'key = "k"', '[[annotations]]', 'value = "x"'), `cosign.toml:3: annotations[0] has no "name"; ${ANNOTATION_HOW}`)
  })

  it('annotations with wrong types, empty or repeated names', () => {
    refused(toml('[[annotations]]', 'name = "n"', 'value = 1', '[[configs]]', 'key = "k"'), 'cosign.toml:3: annotations[0].value is an integer (1); expected a string')
    refused(toml('[[annotations]]', 'name = ""', 'value = "v"', '[[configs]]', 'key = "k"'), 'cosign.toml:2: annotations[0].name is empty; expected a non-empty string')
    refused(
      toml('[[annotations]]', 'name = "team"', 'value = "a"', '[[annotations]]', 'name = "team"', 'value = "b"', '[[configs]]', 'key = "k"'),
      'cosign.toml:5: annotations[1].name "team" repeats annotations[0]; names must be unique',
    )
    refused(toml('[annotations]', 'name = "a"', '[[configs]]', 'key = "k"'), `cosign.toml:1: annotations is a table; expected [[annotations]] tables (${ANNOTATION_HOW})`)
  })

  it('a TOML syntax error, with line and column', () => {
    refused(toml('[[configs]]', 'key = "cosign.key'), 'cosign.toml:2:18: Unterminated string')
    refused(toml('[[configs]]', 'key = "a"', 'key = "b"'), 'cosign.toml:3:10: Can\'t redefine existing key')
  })

  it('keys in inline tables, at the line of the array', () => {
    refused(
      toml('# keys', 'configs = [', '  {key = "a"},', '  {key = "b", bogus = 1},', ']'),
      `cosign.toml:2: unknown key "bogus" in [[configs]]; allowed: ${ALLOWED_CONFIG_KEYS}`,
    )
  })

  it('everything at once: a summary line, then one line per problem in file order', () => {
    refused(
      toml('extra = 1', '[[annotations]]', 'name = "a"', '[[configs]]', 'export-sbom = "sbom"', '[[configs]]', 'key = "k"', 'format = "x"'),
      [
        'cosign.toml: 5 problems:',
        '  cosign.toml:1: unknown key "extra" at the top level; allowed: annotations, configs',
        `  cosign.toml:2: annotations[0] has no "value"; ${ANNOTATION_HOW}`,
        `  cosign.toml:4: configs[0] ${NO_KEY}`,
        '  cosign.toml:5: configs[0].export-sbom is "sbom"; allowed: none, attestation, attachment',
        '  cosign.toml:8: configs[1].format is "x"; allowed: classic, bundle, both',
      ].join('\n'),
    )
  })
})
