/**
 * cosign 2.5 against our classic keyless and key-based+tlog signatures on a real registry, and our
 * verifier against a keyless signature cosign made — all through the local Fulcio/Rekor, offline.
 *
 * cosign 2.5 takes no trusted root for classic signatures: `--trusted-root` is not consulted and
 * the keys come from TUF unless SIGSTORE_ROOT_FILE (Fulcio), SIGSTORE_REKOR_PUBLIC_KEY and
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE name them, so the tests hand it the services' keys that way.
 */
import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {TagWriter} from '../../src/formats/tag-writer.js'
import {SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload} from '../../src/formats/simple-signing.js'
import {
  BUNDLE_ANNOTATION,
  CERTIFICATE_ANNOTATION,
  CHAIN_ANNOTATION,
  SIGNATURE_ANNOTATION,
} from '../../src/formats/annotations.js'
import {cosignTag} from '../../src/formats/tags.js'
import {identityToken, keylessSigner, parseRekorBundle, serializeRekorBundle, witnessClassicSignature} from '../../src/keyless/index.js'
import {useSigstoreServices, verifyClassicSignature} from './support.js'
import {type Signer, signerFromKey} from '../../src/keys/index.js'
import {repositoryName} from '../../src/reference/reference.js'
import {sha256Digest} from '../../src/registry/digest.js'
import {type ImageManifest} from '../../src/registry/types.js'
import {type PushedImage, pushImage, testClient} from '../helpers/images.js'
import {startRegistry, type TestRegistry} from '../helpers/registry.js'
import {runCosign} from '../helpers/run.js'
import {TEST_ISSUER, TEST_SUBJECT} from '../helpers/sigstore-services.js'

const services = useSigstoreServices()
let registry: TestRegistry
let dir: string
let cosignEnv: Record<string, string>

before(async () => {
  registry = await startRegistry()
  dir = await mkdtemp(join(tmpdir(), 'keyless-cosign-'))
  const s = services()
  const files = {SIGSTORE_ROOT_FILE: s.fulcioRootPem, SIGSTORE_REKOR_PUBLIC_KEY: s.rekorPublicKeyPem, SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: s.ctlogPublicKeyPem}
  cosignEnv = {HOME: dir}
  for (const [name, pem] of Object.entries(files)) {
    cosignEnv[name] = join(dir, `${name}.pem`)
    await writeFile(cosignEnv[name], pem)
  }
})
after(async () => {
  await registry?.stop()
  await rm(dir, {recursive: true, force: true})
})

const REGISTRY_FLAGS = ['--allow-insecure-registry', '--allow-http-registry']
const imageRef = (image: PushedImage) => `${registry.host}/${image.repository.path}@${image.digest}`

/** Appends a classic `.sig` layer with these annotations, as the sign command will. */
async function signImage(image: PushedImage, sign: (payload: Buffer) => Promise<Record<string, string>>): Promise<void> {
  const payload = simpleSigningPayload(repositoryName(image.repository), image.digest, {})
  const annotations = await sign(payload)
  const layer = {mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: payload.length, digest: sha256Digest(payload), annotations}
  await new TagWriter(testClient()).append(image.repository, cosignTag(image.digest, 'sig'), [{content: payload, descriptor: layer, isEquivalent: async () => false}], {
    dockerMediaTypes: false,
  })
}

async function keylessSigned(name: string): Promise<PushedImage> {
  const s = services()
  const image = await pushImage(testClient(), `${registry.host}/keyless/${name}:latest`)
  const keyless = keylessSigner({identity: identityToken({identityToken: s.identityToken(), env: {}}), fulcioURL: s.fulcioURL})
  await signImage(image, async (payload) => {
    const certificate = await keyless.certificate()
    const signature = await keyless.signer.sign(payload)
    const extra = await witnessClassicSignature({payload, signature, certificate}, {rekor: {url: s.rekorURL}})
    return {[SIGNATURE_ANNOTATION]: signature.toString('base64'), ...extra}
  })
  return image
}

async function keySigned(name: string, signer: Signer, tamper = (annotations: Record<string, string>) => annotations): Promise<PushedImage> {
  const s = services()
  const image = await pushImage(testClient(), `${registry.host}/keyed/${name}:latest`)
  await signImage(image, async (payload) => {
    const signature = await signer.sign(payload)
    const extra = await witnessClassicSignature({payload, signature, publicKeyPem: signer.publicKeyPem}, {rekor: {url: s.rekorURL}})
    return tamper({[SIGNATURE_ANNOTATION]: signature.toString('base64'), ...extra})
  })
  return image
}

function cosignVerify(image: PushedImage, args: string[]) {
  return runCosign(['verify', ...REGISTRY_FLAGS, ...args, imageRef(image)], {env: cosignEnv})
}

async function publicKeyFile(signer: Signer): Promise<string> {
  const path = join(dir, `${sha256Digest(signer.publicKeyPem).slice(7, 19)}.pub`)
  await writeFile(path, signer.publicKeyPem)
  return path
}

const newKey = () => signerFromKey(generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey, 'a test key')

describe('cosign 2.5 and our classic keyless / tlog signatures', () => {
  it('cosign verifies our keyless signature: chain, SCT, Rekor bundle, identity and issuer', async () => {
    const image = await keylessSigned('app')
    const result = await cosignVerify(image, ['--certificate-identity', TEST_SUBJECT, '--certificate-oidc-issuer', TEST_ISSUER])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /Existence of the claims in the transparency log was verified offline/)
    assert.match(result.stderr, /The code-signing certificate was verified using trusted certificate authority certificates/)
    const [verified] = JSON.parse(result.stdout) as {optional?: Record<string, unknown>}[]
    assert.equal(verified.optional?.Subject, TEST_SUBJECT)
    assert.equal(verified.optional?.Issuer, TEST_ISSUER)
    const byRegexp = await cosignVerify(image, ['--certificate-identity-regexp', '^https://github\\.com/pack-ts/', '--certificate-oidc-issuer', TEST_ISSUER])
    assert.equal(byRegexp.code, 0, byRegexp.stderr)
  })

  it('cosign refuses our keyless signature for a wrong identity', async () => {
    const image = await keylessSigned('wrong')
    const result = await cosignVerify(image, ['--certificate-identity', 'someone@else.test', '--certificate-oidc-issuer', TEST_ISSUER])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /none of the expected identities matched/)
  })

  it('cosign verifies our key-based signature with its Rekor bundle, and refuses a tampered SET', async () => {
    const signer = newKey()
    const key = await publicKeyFile(signer)
    const good = await cosignVerify(await keySigned('app', signer), ['--key', key])
    assert.equal(good.code, 0, good.stderr)
    assert.match(good.stderr, /Existence of the claims in the transparency log was verified offline/)

    const tampered = await keySigned('tampered', signer, (annotations) => {
      const bundle = parseRekorBundle(annotations[BUNDLE_ANNOTATION])
      const set = Buffer.from(bundle.SignedEntryTimestamp, 'base64')
      set[set.length - 1] ^= 0x01
      return {...annotations, [BUNDLE_ANNOTATION]: serializeRekorBundle({...bundle, SignedEntryTimestamp: set.toString('base64')})}
    })
    const bad = await cosignVerify(tampered, ['--key', key])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /unable to verify SET/)
  })

  it('we verify a keyless signature cosign made against the same services', async () => {
    const s = services()
    const image = await pushImage(testClient(), `${registry.host}/bycosign/app:latest`)
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, s.identityToken())
    const signed = await runCosign(
      ['sign', '--yes', ...REGISTRY_FLAGS, '--fulcio-url', s.fulcioURL, '--rekor-url', s.rekorURL, '--identity-token', tokenFile, imageRef(image)],
      {env: cosignEnv},
    )
    assert.equal(signed.code, 0, signed.stderr)

    const client = testClient()
    const manifest = await client.getManifest(image.repository, cosignTag(image.digest, 'sig'))
    const [layer] = (manifest.json as ImageManifest).layers
    const annotations = layer.annotations ?? {}
    assert.ok(annotations[CERTIFICATE_ANNOTATION] && annotations[CHAIN_ANNOTATION] && annotations[BUNDLE_ANNOTATION])
    const payload = await client.getBlob(image.repository, layer.digest, 1 << 20)
    const policy = {certificateIdentity: TEST_SUBJECT, certificateOidcIssuer: TEST_ISSUER}
    const verified = verifyClassicSignature({payload, annotations}, {trustedRoot: s.root, policy})
    assert.equal(verified.tlogVerified, true)
    assert.deepEqual(verified.identity?.subjectAlternativeNames, [TEST_SUBJECT])
  })
})
