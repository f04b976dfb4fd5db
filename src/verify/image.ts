import {type BundleWithDsseEnvelope} from '@sigstore/bundle'

import {PluginError} from '../errors.js'
import {BUNDLE_ANNOTATION, SIGNATURE_ANNOTATION} from '../formats/annotations.js'
import {COSIGN_SIGN_PREDICATE_TYPE} from '../formats/bundle/index.js'
import {pae, parseEnvelope, verifiedPayload} from '../formats/dsse.js'
import {loadTrustedRoot, parseTrustedRoot, type TrustedRoot} from '../keyless/index.js'
import {displayKeyReference, loadVerifier, type Verifier} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {verifyBundles} from './bundles.js'
import {bundleFromClassic, bundleFromClassicAttestation} from './classic-bundle.js'
import {predicateTypeOf, verifyClassicAttestations} from './classic-attestations.js'
import {type SignerInfo, verifyClassicSignatures} from './classic-signatures.js'
import {compilePolicy, type IdentityPolicy} from './identity-policy.js'
import {verifyBundle} from './witnessed-bundle.js'

// What `verify` checks: signatures (or attestations) in both formats — the classic cosign tags
// and Sigstore bundle referrers — each reported with the format it was found in. With a key, as
// cosign: the signature must verify with it, and a transparency-log entry, when the signature
// carries one, must verify too (against `--trusted-root`). Keyless: the certificate must chain to
// a Fulcio CA of the trusted root, name the identity and issuer asked for, and the signature must
// be in the transparency log — unless `--insecure-ignore-tlog`.

export interface TrustRequest {
  /** Key-based: the public key file (or, with `verifier`, the key file it came from: for messages). */
  keyFile?: string
  /** Key-based: a key already loaded (e.g. the public half of a private key). */
  verifier?: Verifier
  /** Keyless: who must have signed. */
  identity?: IdentityPolicy
  /** A Sigstore trusted root file: required keyless; with a key, for checking log entries. */
  trustedRootFile?: string
  insecureIgnoreTlog?: boolean
  insecureIgnoreSct?: boolean
}

export interface VerifyImageRequest {
  digest: string
  repository: Repository
  /** From loadTrust: the key, or the trusted root and identity policy. */
  trust: Trust
  annotations: Record<string, string>
  attestations: boolean
  type?: string
  /** Where to look: both by default (what `verify` does); a release check looks only where its config writes. */
  formats?: readonly ('classic' | 'bundle')[]
}

export interface VerifiedItem extends SignerInfo {
  format: 'classic' | 'bundle'
  predicateType?: string
  /** The simple-signing payload (classic signature) or the in-toto statement. */
  payload: unknown
}

/** How each stored form of a signature is checked, with a key or keyless. */
export interface Trust {
  /** "with cosign.pub", "for identity … from issuer …": for messages. */
  describe: string
  classic(layer: {payload: Buffer; annotations: Record<string, string>}): SignerInfo
  attestation(layer: {envelope: Buffer; annotations: Record<string, string>}): SignerInfo & {payload: Buffer}
  bundle(bundle: BundleWithDsseEnvelope): SignerInfo
}

/** A signature by another key: not a reason worth telling (there may be many signers). */
const OTHER_KEY = 'signed with another key'

export async function verifyImage(client: RegistryClient, request: VerifyImageRequest): Promise<{verified: VerifiedItem[]}> {
  const trust = request.trust
  const verified: VerifiedItem[] = []
  let examined = 0
  const rejected: string[] = []
  const bundleCheck = (bundle: BundleWithDsseEnvelope) => trust.bundle(bundle)
  const formats = request.formats ?? ['classic', 'bundle']
  const none = {verified: [], examined: 0, rejected: []}
  const classicOnly = !formats.includes('bundle')
  const bundleOnly = !formats.includes('classic')
  if (request.attestations) {
    const predicateType = request.type ? predicateTypeOf(request.type) : undefined
    const [classic, bundles] = await Promise.all([
      bundleOnly ? none : verifyClassicAttestations(client, {digest: request.digest, repository: request.repository, predicateType, check: (layer) => trust.attestation(layer)}),
      classicOnly ? {...none, rejected: []} : verifyBundles(client, {digest: request.digest, repository: request.repository, annotations: {}, predicateType, check: bundleCheck}),
    ])
    examined += classic.examined + bundles.examined
    rejected.push(...classic.rejected, ...bundles.rejected.map((r) => r.reason))
    verified.push(...classic.verified.map((v) => item(v.format, v.statement, v, v.predicateType)))
    verified.push(...bundles.verified.filter((v) => v.predicateType !== COSIGN_SIGN_PREDICATE_TYPE).map((v) => item(v.format, v.statement, v, v.predicateType)))
  } else {
    const [classic, bundles] = await Promise.all([
      bundleOnly
        ? none
        : verifyClassicSignatures(client, {digest: request.digest, signatureRepository: request.repository, annotations: request.annotations, check: (layer) => trust.classic(layer)}),
      classicOnly
        ? {...none, rejected: []}
        : verifyBundles(client, {digest: request.digest, repository: request.repository, annotations: request.annotations, predicateType: COSIGN_SIGN_PREDICATE_TYPE, check: bundleCheck}),
    ])
    examined += classic.examined + bundles.examined
    rejected.push(...classic.rejected, ...bundles.rejected.map((r) => r.reason))
    verified.push(...classic.verified.map((v) => item(v.format, v.payload, v)))
    verified.push(...bundles.verified.map((v) => item(v.format, v.statement, v, v.predicateType)))
  }

  if (verified.length === 0) {
    const what = request.attestations ? 'attestation' : 'signature'
    const ofType = request.attestations && request.type ? ` of type ${request.type}` : ''
    const found = examined === 0 ? `no ${what}s${ofType} found` : `none of ${examined} ${what}(s)${ofType} verified ${trust.describe}`
    const needs = !request.attestations && examined > 0 && Object.keys(request.annotations).length > 0 ? ' and the given annotations' : ''
    const reasons = [...new Set(rejected.filter((r) => r !== OTHER_KEY))]
    const why = reasons.length > 0 ? `: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? `; and ${reasons.length - 3} more` : ''}` : ''
    throw new PluginError('VERIFY_FAILED', `${repositoryName(request.repository)}@${request.digest}: ${found}${needs}${why}`)
  }

  return {verified}
}

function item(format: VerifiedItem['format'], payload: unknown, signer: SignerInfo, predicateType?: string): VerifiedItem {
  return {format, ...(predicateType ? {predicateType} : {}), payload, ...(signer.identity ? {identity: signer.identity} : {})}
}

/** Reads the key or the trusted root and checks the flags, before any signature is fetched. */
export async function loadTrust(request: TrustRequest): Promise<Trust> {
  const keyless = request.identity !== undefined
  if (keyless === (request.keyFile !== undefined)) {
    throw new PluginError('USAGE', 'verify needs --key FILE, or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] with --trusted-root FILE (not both)')
  }

  if (keyless) {
    const policy = compilePolicy(request.identity!) // a missing or malformed constraint fails before the network
    if (request.trustedRootFile === undefined) {
      throw new PluginError(
        'USAGE',
        'verifying keyless signatures needs --trusted-root FILE: the Sigstore trusted root (Fulcio CAs, Rekor and CT log keys) to check certificates and log entries against; this tool does not fetch one through TUF',
      )
    }

    return keylessTrust(await loadTrustedRoot(request.trustedRootFile), request, policy.describe())
  }

  const [verifier, root] = await Promise.all([
    request.verifier ?? loadVerifier(request.keyFile!),
    request.trustedRootFile === undefined ? undefined : loadTrustedRoot(request.trustedRootFile),
  ])
  return keyTrust(verifier, root, request)
}

function keylessTrust(trustedRoot: TrustedRoot, request: TrustRequest, policy: string): Trust {
  const options = {trustedRoot, policy: request.identity, insecureIgnoreTlog: request.insecureIgnoreTlog, insecureIgnoreSct: request.insecureIgnoreSct}
  return {
    describe: `for ${policy}`,
    classic: (layer) => identityOf(verifyBundle(bundleFromClassic(layer.payload, layer.annotations), layer.payload, options)),
    attestation(layer) {
      const bundle = bundleFromClassicAttestation(layer.envelope, layer.annotations)
      const verified = verifyBundle(bundle, undefined, options)
      return {...identityOf(verified), payload: Buffer.from(bundle.content.$case === 'dsseEnvelope' ? bundle.content.dsseEnvelope.payload : [])}
    },
    bundle: (bundle) => identityOf(verifyBundle(bundle, undefined, options)),
  }
}

/**
 * With a key: the signature must verify with it (a signature by another key is skipped quietly);
 * a transparency-log entry is not required, but one that is there must verify, against the
 * trusted root — unless --insecure-ignore-tlog.
 */
function keyTrust(verifier: Verifier, trustedRoot: TrustedRoot | undefined, request: TrustRequest): Trust {
  const ignoreTlog = request.insecureIgnoreTlog === true
  const logged = (present: boolean): TrustedRoot | undefined => {
    if (!present || ignoreTlog) return undefined
    if (trustedRoot) return trustedRoot
    throw new PluginError(
      'VERIFY_FAILED',
      'the signature has a transparency-log entry; pass --trusted-root FILE (with the log\'s key) to check it, or --insecure-ignore-tlog to skip it',
    )
  }

  const publicKeyPem = verifier.publicKeyPem
  return {
    describe: `with ${displayKeyReference(request.keyFile!)}`,
    classic(layer) {
      const signature = Buffer.from(layer.annotations[SIGNATURE_ANNOTATION] ?? '', 'base64')
      if (!verifier.verify(layer.payload, signature)) throw new PluginError('VERIFY_FAILED', OTHER_KEY)
      const root = logged(Boolean(layer.annotations[BUNDLE_ANNOTATION]))
      if (root) verifyBundle(bundleFromClassic(layer.payload, layer.annotations), layer.payload, {trustedRoot: root, publicKeyPem})
      return {}
    },
    attestation(layer) {
      const envelope = parseEnvelope(layer.envelope)
      const payload = envelope && verifiedPayload(envelope, verifier)
      if (!payload) throw new PluginError('VERIFY_FAILED', OTHER_KEY)
      const root = logged(Boolean(layer.annotations[BUNDLE_ANNOTATION]))
      if (root) verifyBundle(bundleFromClassicAttestation(layer.envelope, layer.annotations), undefined, {trustedRoot: root, publicKeyPem})
      return {payload}
    },
    bundle(bundle) {
      const envelope = bundle.content.dsseEnvelope
      const signed = pae(envelope.payloadType, Buffer.from(envelope.payload))
      if (!envelope.signatures.some((s) => verifier.verify(signed, Buffer.from(s.sig)))) throw new PluginError('VERIFY_FAILED', OTHER_KEY)
      const root = logged(bundle.verificationMaterial.tlogEntries.length > 0)
      verifyBundle(bundle, undefined, {trustedRoot: root ?? trustedRoot ?? emptyTrustedRoot(), publicKeyPem, insecureIgnoreTlog: root === undefined})
      return {}
    },
  }
}

function identityOf(verified: {identity?: SignerInfo['identity']}): SignerInfo {
  return verified.identity ? {identity: verified.identity} : {}
}

/** A trusted root that trusts nothing: key-based bundles checked without a log. */
let emptyRoot: TrustedRoot | undefined
function emptyTrustedRoot(): TrustedRoot {
  emptyRoot ??= parseTrustedRoot(
    {mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: []},
    'the empty trusted root',
  )
  return emptyRoot
}
