import assert from 'node:assert/strict'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, relative, resolve} from 'node:path'
import {describe, it} from 'node:test'

import {SIGNING_KEYS, parseCosignConfig, readCosignConfig} from '../../src/config/index.js'
import {isPluginError} from '../../src/errors.js'

describe('parseCosignConfig', () => {
  it('fills defaults for every optional key', () => {
    const config = parseCosignConfig('[[configs]]\nkey = "/keys/cosign.key"\n', '/etc/cnb/cosign.toml')
    assert.deepEqual(config, {
      file: '/etc/cnb/cosign.toml',
      annotations: {},
      configs: [
        {
          key: '/keys/cosign.key',
          dockerMediaTypes: false,
          exportSbom: 'attestation',
          recursive: false,
          format: 'classic',
          keyless: false,
          tlogUpload: false,
          provenance: false,
          index: 0,
        },
      ],
    })
    assert.ok(!('repository' in config.configs[0]) && !('passwordFile' in config.configs[0]))
  })

  it('reads the RFC schema plus our additions, in file order', () => {
    const text = `
# A static list of annotations to add to each signature config
[[annotations]]
name = "org.example/team"
value = "payments"

[[annotations]]
name = "ci"
value = ""

[[configs]]
key = "keys/cosign.key"
repository = "registry.example.com/sigs"
docker-media-types = true
password = "../secrets/password"
export-sbom = "attachment"
recursive = true
format = "both"
keyless = false
tlog-upload = true

[[configs]]
key = "/abs/other.key"
export-sbom = "none"
format = "bundle"
`
    const config = parseCosignConfig(text, '/etc/cnb/cosign.toml')
    assert.deepEqual(config.annotations, {'org.example/team': 'payments', ci: ''})
    assert.deepEqual(Object.keys(config.annotations), ['org.example/team', 'ci'])
    assert.deepEqual(config.configs, [
      {
        key: '/etc/cnb/keys/cosign.key',
        repository: 'registry.example.com/sigs',
        dockerMediaTypes: true,
        passwordFile: '/etc/secrets/password',
        exportSbom: 'attachment',
        recursive: true,
        format: 'both',
        keyless: false,
        tlogUpload: true,
        provenance: false,
        index: 0,
      },
      {
        key: '/abs/other.key',
        dockerMediaTypes: false,
        exportSbom: 'none',
        recursive: false,
        format: 'bundle',
        keyless: false,
        tlogUpload: false,
        provenance: false,
        index: 1,
      },
    ])
  })

  it('reads a keyless config without a key, and the service URLs', () => {
    const text = `
[[configs]]
keyless = true
fulcio-url = "https://fulcio.example.com"
rekor-url = "http://127.0.0.1:3000"
tsa-url = "https://tsa.example.com/api/v1/timestamp"

[[configs]]
key = "release.key"
tlog-upload = true
rekor-url = "https://rekor.example.com"
`
    const config = parseCosignConfig(text, '/etc/cnb/cosign.toml')
    assert.deepEqual(config.configs, [
      {
        dockerMediaTypes: false,
        exportSbom: 'attestation',
        recursive: false,
        format: 'classic',
        keyless: true,
        tlogUpload: false,
        fulcioUrl: 'https://fulcio.example.com',
        rekorUrl: 'http://127.0.0.1:3000',
        tsaUrl: 'https://tsa.example.com/api/v1/timestamp',
        provenance: false,
        index: 0,
      },
      {
        key: '/etc/cnb/release.key',
        dockerMediaTypes: false,
        exportSbom: 'attestation',
        recursive: false,
        format: 'classic',
        keyless: false,
        tlogUpload: true,
        rekorUrl: 'https://rekor.example.com',
        provenance: false,
        index: 1,
      },
    ])
  })

  it('resolves relative key and password paths against the folder of cosign.toml, not the working directory', () => {
    const config = parseCosignConfig('[[configs]]\nkey = "cosign.key"\npassword = "./pw"\n', 'conf/cosign.toml')
    assert.equal(config.configs[0].key, resolve('conf', 'cosign.key'))
    assert.equal(config.configs[0].passwordFile, resolve('conf', 'pw'))
    assert.equal(config.file, 'conf/cosign.toml')
  })

  it('keeps a pkcs11: key (and public-key) as written: a URI, not a path to resolve', () => {
    const uri = 'pkcs11:token=release;object=p256?module-path=/usr/lib/softhsm/libsofthsm2.so'
    const config = parseCosignConfig(`[[configs]]\nkey = "${uri}"\npassword = "pin.txt"\npublic-key = "${uri}"\n`, 'conf/cosign.toml')
    assert.equal(config.configs[0].key, uri)
    assert.equal(config.configs[0].publicKey, uri)
    assert.equal(config.configs[0].passwordFile, resolve('conf', 'pin.txt'))
  })

  it('accepts inline tables and a byte-order mark', () => {
    const config = parseCosignConfig('\uFEFFannotations = [{name = "a", value = "b"}]\nconfigs = [{key = "/k"}]\n', 'cosign.toml')
    assert.deepEqual(config.annotations, {a: 'b'})
    assert.equal(config.configs[0].key, '/k')
  })

  it('lists the allowed [[configs]] keys in one table', () => {
    assert.deepEqual(SIGNING_KEYS, [
      'key',
      'repository',
      'docker-media-types',
      'password',
      'export-sbom',
      'recursive',
      'format',
      'keyless',
      'tlog-upload',
      'fulcio-url',
      'rekor-url',
      'tsa-url',
      'provenance',
      'public-key',
      'certificate-identity',
      'certificate-identity-regexp',
      'certificate-oidc-issuer',
      'certificate-oidc-issuer-regexp',
    ])
  })
})

describe('readCosignConfig', () => {
  async function tempDir(t: {after(fn: () => Promise<void>): void}): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'config-test-'))
    t.after(() => rm(dir, {recursive: true, force: true}))
    return dir
  }

  it('resolves paths against the file folder whether it is given absolute or relative', async (t) => {
    const dir = await tempDir(t)
    await mkdir(join(dir, 'cnb'))
    const file = join(dir, 'cnb', 'cosign.toml')
    await writeFile(file, '[[configs]]\nkey = "cosign.key"\npassword = "pw.txt"\n')

    const absolute = await readCosignConfig(file)
    assert.equal(absolute.configs[0].key, join(dir, 'cnb', 'cosign.key'))
    assert.equal(absolute.configs[0].passwordFile, join(dir, 'cnb', 'pw.txt'))

    const given = relative(process.cwd(), file)
    const rel = await readCosignConfig(given)
    assert.equal(rel.file, given)
    assert.equal(rel.configs[0].key, join(dir, 'cnb', 'cosign.key'))
  })

  it('says a missing cosign config was not found', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'cosgn.toml')
    await assert.rejects(readCosignConfig(file), (error) => {
      assert.ok(isPluginError(error))
      assert.equal(error.code, 'CONFIG_INVALID')
      assert.equal(error.message, `cosign config ${file} not found`)
      return true
    })
  })

  it('says when the path is a directory', async (t) => {
    const dir = await tempDir(t)
    await assert.rejects(readCosignConfig(dir), {code: 'CONFIG_INVALID', message: `cosign config ${dir} is a directory, not a file`})
  })

  it('names the file as given in validation messages', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'cosign.toml')
    await writeFile(file, '[[configs]]\nkey = "k"\nkeyless = "yes"\n')
    await assert.rejects(readCosignConfig(file), {
      code: 'CONFIG_INVALID',
      message: `${file}:3: configs[0].keyless is a string ("yes"); expected a boolean (true or false)`,
    })
  })
})
