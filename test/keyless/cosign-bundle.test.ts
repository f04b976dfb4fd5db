/**
 * cosign 2.5 verifies, offline with our trusted root (`--new-bundle-format --trusted-root`), the
 * bundles @sigstore/sign builds with our keyless signer, our key adapter and our witnesses: the
 * pieces the bundle format hands to DSSEBundleBuilder / MessageSignatureBundleBuilder.
 */
import assert from 'node:assert/strict'
import {createHash, generateKeyPairSync} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type Bundle, bundleToJSON} from '@sigstore/bundle'
import {DSSEBundleBuilder, MessageSignatureBundleBuilder, type Witness} from '@sigstore/sign'

import {identityToken, keylessSigner, rekorWitness, tsaWitness} from '../../src/keyless/index.js'
import {signerFromKey, sigstoreSigner} from '../../src/keys/index.js'
import {runCosign} from '../helpers/run.js'
import {TEST_ISSUER, TEST_SUBJECT} from '../helpers/sigstore-services.js'
import {useSigstoreServices} from './support.js'

const services = useSigstoreServices()
const BLOB = Buffer.from('release artifact\n')
const IDENTITY = ['--certificate-identity', TEST_SUBJECT, '--certificate-oidc-issuer', TEST_ISSUER]
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyless-bundle-'))
  await writeFile(join(dir, 'blob'), BLOB)
  await services().writeTrustedRoot(join(dir, 'trusted_root.json'))
})
after(() => rm(dir, {recursive: true, force: true}))

function keyless() {
  const s = services()
  return keylessSigner({identity: identityToken({identityToken: s.identityToken(), env: {}}), fulcioURL: s.fulcioURL})
}

async function cosignVerify(command: string, bundle: Bundle, args: string[]) {
  await writeFile(join(dir, 'bundle.json'), JSON.stringify(bundleToJSON(bundle)))
  const base = [command, '--bundle', 'bundle.json', '--new-bundle-format', '--trusted-root', 'trusted_root.json']
  return runCosign([...base, ...args, 'blob'], {cwd: dir, env: {HOME: dir}})
}

describe('cosign 2.5 verifies bundles built with our signers and witnesses', () => {
  it('keyless message signature, witnessed by Rekor, by Rekor and the TSA, or by the TSA alone', async () => {
    const s = services()
    const signer = keyless().sigstoreSigner
    const cases: [Witness[], string[]][] = [
      [[rekorWitness(s.rekorURL)], []],
      [[rekorWitness(s.rekorURL), tsaWitness(s.tsaURL)], ['--use-signed-timestamps']],
      [[tsaWitness(s.tsaURL)], ['--use-signed-timestamps', '--insecure-ignore-tlog']],
    ]
    for (const [witnesses, flags] of cases) {
      const bundle = await new MessageSignatureBundleBuilder({signer, witnesses}).create({data: BLOB})
      const result = await cosignVerify('verify-blob', bundle, [...IDENTITY, ...flags])
      assert.equal(result.code, 0, result.stderr)
    }

    const bundle = await new MessageSignatureBundleBuilder({signer, witnesses: [rekorWitness(s.rekorURL)]}).create({data: BLOB})
    const wrong = await cosignVerify('verify-blob', bundle, ['--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER])
    assert.notEqual(wrong.code, 0)
  })

  it('keyless DSSE attestation with a dsse Rekor entry', async () => {
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{name: 'blob', digest: {sha256: createHash('sha256').update(BLOB).digest('hex')}}],
      predicateType: 'https://pack-ts.test/predicate',
      predicate: {},
    }
    const builder = new DSSEBundleBuilder({signer: keyless().sigstoreSigner, witnesses: [rekorWitness(services().rekorURL)]})
    const bundle = await builder.create({data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json'})
    const result = await cosignVerify('verify-blob-attestation', bundle, [...IDENTITY, '--type', statement.predicateType])
    assert.equal(result.code, 0, result.stderr)
  })

  it('key-based message signature with tlog upload', async () => {
    const signer = signerFromKey(generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey, 'a test key')
    await writeFile(join(dir, 'key.pub'), signer.publicKeyPem)
    const builder = new MessageSignatureBundleBuilder({signer: sigstoreSigner(signer), witnesses: [rekorWitness(services().rekorURL)]})
    const result = await cosignVerify('verify-blob', await builder.create({data: BLOB}), ['--key', 'key.pub'])
    assert.equal(result.code, 0, result.stderr)
  })
})
