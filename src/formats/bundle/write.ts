import {type Verifier, verifierFromPem} from '../../keys/index.js'
import {type Repository, repositoryName} from '../../reference/reference.js'
import {type RegistryClient} from '../../registry/client.js'
import {MediaType} from '../../registry/media-types.js'
import {isTransientBlobRace} from '../../registry/registry-error.js'
import {type ReferrersSource, addReferrer} from '../../registry/referrers.js'
import {type Descriptor} from '../../registry/types.js'
import {KeyedLock} from '../../util/keyed-lock.js'
import {sleep} from '../../util/sleep.js'
import {inTotoStatement} from '../attestation.js'
import {type DsseEnvelope, verifiedPayload} from '../dsse.js'
import {type BundleSigning, createDsseBundle} from './create.js'
import {isKeySigner} from './key-signer.js'
import {bundleReferrerManifest, EMPTY_CONFIG_DESCRIPTOR} from './manifest.js'
import {BUNDLE_MEDIA_TYPE, COSIGN_SIGN_PREDICATE_TYPE, EMPTY_CONFIG} from './media-types.js'
import {readBundleReferrers} from './read.js'
import {cosignSignStatement} from './statement.js'

/**
 * cosign 3's storage of signatures and attestations (FORMATS.md §4): a DSSE bundle as the one
 * layer of an artifact manifest whose subject is the signed image, listed as its referrer.
 */
export interface BundleTarget extends BundleSigning {
  imageRepository: Repository
  digest: string
  /** The signed manifest's descriptor (the referrer's subject); read from the registry when absent. */
  descriptor?: Descriptor
  /** Where the referrer goes: the image's repository, or the signature repository. */
  signatureRepository: Repository
}

export interface BundleSignatureRequest extends BundleTarget {
  /** cosign's `-a`: signed, as the statement subject's annotations. */
  annotations: Record<string, string>
}

export interface BundleAttestationRequest extends BundleTarget {
  predicateType: string
  /** The predicate document as JSON text (embedded as is, whitespace compacted). */
  predicate: Buffer
}

export interface BundleWriteResult {
  repository: Repository
  referrerDigest: string
  /** False when a bundle of this statement by this key was already attached (re-runs add nothing). */
  appended: boolean
  /** How the referrer is listed; undefined when nothing was written. */
  via?: ReferrersSource
}

export function writeBundleSignature(client: RegistryClient, request: BundleSignatureRequest): Promise<BundleWriteResult> {
  return writeBundle(client, request, COSIGN_SIGN_PREDICATE_TYPE, cosignSignStatement(request.digest, request.annotations))
}

/** SBOM attestations keep cosign 2's in-toto Statement v0.1 (subject with name), as cosign 3 does. */
export function writeBundleAttestation(client: RegistryClient, request: BundleAttestationRequest): Promise<BundleWriteResult> {
  const statement = inTotoStatement(repositoryName(request.imageRepository), request.digest, request.predicateType, request.predicate)
  return writeBundle(client, request, request.predicateType, statement)
}

// The duplicate check and the write are one step per statement kind within this process.
const writeLocks = new KeyedLock()
const configLocks = new KeyedLock()

export function writeBundle(client: RegistryClient, target: BundleTarget, predicateType: string, statement: Buffer): Promise<BundleWriteResult> {
  const key = `${repositoryName(target.signatureRepository)}@${target.digest}#${predicateType}`
  return writeLocks.run(key, () => writeUnlocked(client, target, predicateType, statement))
}

async function writeUnlocked(client: RegistryClient, target: BundleTarget, predicateType: string, statement: Buffer): Promise<BundleWriteResult> {
  const repository = target.signatureRepository
  // A keyless signature is new each time (fresh certificate); only a key we hold can recognise its own.
  if (isKeySigner(target.signer)) {
    const existing = await findOwnBundle(client, target, predicateType, statement, verifierFromPem(target.signer.publicKeyPem, 'the signing key'))
    if (existing) return {repository, referrerDigest: existing, appended: false}
  }

  const subject = target.descriptor ?? (await subjectDescriptor(client, target.imageRepository, target.digest))
  const bundle = await createDsseBundle(statement, target)
  const layer = await client.uploadBlob(repository, bundle, BUNDLE_MEDIA_TYPE)
  const manifest = bundleReferrerManifest(layer, subject, predicateType, new Date())
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureEmptyConfig(client, repository)
      const added = await addReferrer(client, repository, subject, manifest, MediaType.ociManifest)
      return {repository, referrerDigest: added.descriptor.digest, appended: true, via: added.via}
    } catch (error) {
      // Other processes uploading the shared empty config at the same moment (see below).
      if (!isTransientBlobRace(error) || attempt >= 4) throw error
      await sleep(50 * attempt + Math.random() * 50)
    }
  }
}

/**
 * Every bundle referrer shares the empty config blob. Several writers uploading it at once, where
 * the repository did not have it yet, intermittently left one writer's manifest PUT failing on
 * distribution 2.8 (DIGEST_INVALID / MANIFEST_BLOB_UNKNOWN, seen in the concurrent-writers test):
 * this process uploads it one writer at a time, and only when it is missing.
 */
function ensureEmptyConfig(client: RegistryClient, repository: Repository): Promise<void> {
  return configLocks.run(repositoryName(repository), async () => {
    if (await client.blobExists(repository, EMPTY_CONFIG_DESCRIPTOR.digest)) return
    await client.uploadBlob(repository, EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR.mediaType)
  })
}

/** An attached bundle of exactly this statement, signed by this key. */
async function findOwnBundle(client: RegistryClient, target: BundleTarget, predicateType: string, statement: Buffer, verifier: Verifier): Promise<string | undefined> {
  const {referrers} = await readBundleReferrers(client, target.signatureRepository, target.digest, {predicateType})
  // With witnesses (Rekor, a TSA), only a bundle they witnessed stands for a new one.
  const witnessed = (target.witnesses?.length ?? 0) > 0
  for (const referrer of referrers) {
    const envelope = (referrer.bundle as {dsseEnvelope?: DsseEnvelope} | undefined)?.dsseEnvelope
    if (!envelope || typeof envelope.payload !== 'string' || !Array.isArray(envelope.signatures)) continue
    if (witnessed && !hasWitnessMaterial(referrer.bundle)) continue
    if (verifiedPayload(envelope, verifier)?.equals(statement)) return referrer.digest
  }

  return undefined
}

function hasWitnessMaterial(bundle: unknown): boolean {
  const material = (bundle as {verificationMaterial?: {tlogEntries?: unknown[]; timestampVerificationData?: {rfc3161Timestamps?: unknown[]}}}).verificationMaterial
  return (material?.tlogEntries?.length ?? 0) > 0 || (material?.timestampVerificationData?.rfc3161Timestamps?.length ?? 0) > 0
}

async function subjectDescriptor(client: RegistryClient, repository: Repository, digest: string): Promise<Descriptor> {
  const manifest = await client.getManifest(repository, digest)
  return {mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length}
}
