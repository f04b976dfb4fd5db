import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {parseReference} from '../../src/reference/reference.js'
import {RegistryClient} from '../../src/registry/client.js'
import {anonymous} from '../../src/registry/credentials.js'
import {pushImage} from '../helpers/images.js'
import {generateTestKey} from '../helpers/keys.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {assertOneLineError, runCli} from '../helpers/run.js'

/** A registry with a self-signed certificate: trusted only through --registry-ca or NODE_EXTRA_CA_CERTS. */
describe('registries with a self-signed TLS certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'))
  const ca = join(dir, 'registry.crt')
  let registry: TestRegistry
  let image: string
  before(async () => {
    const key = join(dir, 'registry.key')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', ca, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {stdio: 'ignore'})
    registry = await startRegistry({tls: {certificate: ca, key}})
    const client = new RegistryClient({credentials: anonymous, caCertificates: [execFileSync('cat', [ca]).toString()]})
    image = (await pushImage(client, `${registry.host}/tls/app:v1`)).reference
  })
  after(() => registry.stop())

  it('fails clearly without the CA, naming the registry and --registry-ca; nothing written', async () => {
    const key = await generateTestKey(dir, 'untrusted')
    const result = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile])
    const line = assertOneLineError(result)
    assert.match(line, new RegExp(`registry ${registry.host}: ${registry.host} presented a TLS certificate that is not trusted .*--registry-ca`))
    assert.equal(result.code, 4)
  })

  it('signs and verifies with --registry-ca', async () => {
    const key = await generateTestKey(dir, 'trusted')
    const signed = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, '--registry-ca', ca])
    assert.equal(signed.code, 0, signed.stderr)
    const verified = await runCli(['verify', image, '--key', key.pub, '--registry-ca', ca])
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('trusts NODE_EXTRA_CA_CERTS', async () => {
    const key = await generateTestKey(dir, 'extra')
    const signed = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile], {env: {NODE_EXTRA_CA_CERTS: ca}})
    assert.equal(signed.code, 0, signed.stderr)
  })

  it('never falls back to plain HTTP for a registry that speaks TLS', async () => {
    const client = new RegistryClient({credentials: anonymous})
    await assert.rejects(client.getManifest(parseReference(image).repository, 'v1'), /not trusted/)
  })

  it('--insecure-registry HOST (as in pack) accepts its self-signed certificate over HTTPS: sign and verify work', async () => {
    const key = await generateTestKey(dir, 'insecure')
    const signed = await runCli(['sign', image, '--key', key.key, '--password-file', key.passwordFile, '--insecure-registry', registry.host])
    assert.equal(signed.code, 0, signed.stderr)
    assert.match(signed.stdout, /^Signed /m)
    const verified = await runCli(['verify', image, '--key', key.pub, '--insecure-registry', registry.host])
    assert.equal(verified.code, 0, verified.stderr)
  })

  it('--insecure-registry skips verification for exactly the hosts named', async () => {
    const other = new RegistryClient({credentials: anonymous, insecureRegistries: ['127.0.0.1:1', `localhost:${registry.host.split(':')[1]}`]})
    await assert.rejects(other.getManifest(parseReference(image).repository, 'v1'), /not trusted/)
    const named = new RegistryClient({credentials: anonymous, insecureRegistries: [registry.host]})
    assert.match((await named.getManifest(parseReference(image).repository, 'v1')).digest, /^sha256:/)
  })

  it('--insecure-registry HOST still reaches a plain-HTTP registry (HTTPS first, then HTTP)', async () => {
    const plain = await startRegistry()
    try {
      const pushed = await pushImage(new RegistryClient({credentials: anonymous}), `${plain.host}/plain/app:v1`)
      const key = await generateTestKey(dir, 'insecure-plain')
      const signed = await runCli(['sign', pushed.reference, '--key', key.key, '--password-file', key.passwordFile, '--insecure-registry', plain.host])
      assert.equal(signed.code, 0, signed.stderr)
    } finally {
      await plain.stop()
    }
  })
})
