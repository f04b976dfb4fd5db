import {type Signer as SigstoreSigner} from '@sigstore/sign'

import {isKeySigner, type Signer, type Verifier, verifierFromPem} from '../../keys/index.js'
import {type Repository, repositoryName} from '../../reference/reference.js'
import {type RegistryClient} from '../../registry/client.js'
import {sha256Digest} from '../../registry/digest.js'
import {MediaType} from '../../registry/media-types.js'
import {isTransientBlobRace} from '../../registry/registry-error.js'
import {type ReferrersSource, addReferrers, listReferrers} from '../../registry/referrers.js'
import {type Descriptor, type ImageManifest} from '../../registry/types.js'
import {KeyedLock} from '../../util/keyed-lock.js'
import {mapLimit} from '../../util/map-limit.js'
import {backoff, retry} from '../../util/retry.js'
import {inTotoStatement} from '../attestation.js'
import {type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, pae} from '../dsse.js'
import {type BundleSigning, createDsseBundle} from './create.js'
import {bundleReferrerManifest, EMPTY_CONFIG_DESCRIPTOR} from './manifest.js'
import {BUNDLE_MEDIA_TYPE, COSIGN_SIGN_PREDICATE_TYPE, EMPTY_CONFIG, isCurrentBundle} from './media-types.js'
import {BundleAnnotation} from '../annotations.js'
import {mayBeBundle} from './read.js'
import {cosignSignStatement} from './statement.js'

// cosign 3's storage of signatures and attestations (docs/formats.md §4): a DSSE bundle as the one
// layer of an artifact manifest whose subject is the signed image, listed as its referrer.

export interface BundleSubject {
  imageRepository: Repository
  digest: string
  /** The signed manifest's descriptor (the referrer's subject); read from the registry when absent. */
  descriptor?: Descriptor
  /** Where the referrers go: the image's repository, or the signature repository. */
  signatureRepository: Repository
}

export interface BundleTarget extends BundleSubject, BundleSigning {}

export interface BundleSignatureRequest extends BundleTarget {
  /** cosign's `-a`: signed, as the statement subject's annotations. */
  annotations: Record<string, string>
}

export interface BundleAttestationRequest extends BundleTarget {
  predicateType: string
  /** The predicate document as JSON text (embedded as is, whitespace compacted). */
  predicate: Buffer
}

/** One bundle to attach: the statement, its predicate type, and who signs and witnesses it. */
export interface BundleItem extends BundleSigning {
  predicateType: string
  statement: Buffer
}

export interface BundleWriteResult {
  repository: Repository
  referrerDigest: string
  /** False when a bundle of this statement by this key was already attached (re-runs add nothing). */
  appended: boolean
  /** How the referrer is listed; undefined when nothing was written. */
  via?: ReferrersSource
}

export function signatureItem(request: Pick<BundleSignatureRequest, 'digest' | 'annotations' | keyof BundleSigning>): BundleItem {
  return {signer: request.signer, witnesses: request.witnesses, predicateType: COSIGN_SIGN_PREDICATE_TYPE, statement: cosignSignStatement(request.digest, request.annotations)}
}

/** SBOM attestations keep cosign 2's in-toto Statement v0.1 (subject with name), as cosign 3 does. */
export function attestationItem(request: Omit<BundleAttestationRequest, 'descriptor' | 'signatureRepository'>): BundleItem {
  const statement = inTotoStatement(repositoryName(request.imageRepository), request.digest, request.predicateType, request.predicate)
  return {signer: request.signer, witnesses: request.witnesses, predicateType: request.predicateType, statement}
}

/** What a referrer is, as far as recognising our own goes; read once per run (manifests never change). */
interface ReferrerFacts {
  predicateType?: string
  payloadDigest?: string
  signatures: Buffer[]
  witnessed: boolean
}

const MAX_BUNDLE_BYTES = 64 * 1024 * 1024
const PARALLEL = 16

/**
 * Writes bundles as referrers, one run's worth at a time per subject: what is already attached
 * (this statement, signed by this key) is recognised, the rest is created and pushed in parallel,
 * and the fallback index is updated once for all of them.
 */
export class BundleWriter {
  private readonly locks = new KeyedLock()
  private readonly configs = new KeyedLock()
  private readonly facts = new Map<string, Promise<ReferrerFacts | undefined>>()

  constructor(readonly client: RegistryClient) {}

  write(subject: BundleSubject, items: readonly BundleItem[]): Promise<BundleWriteResult[]> {
    const key = `${repositoryName(subject.signatureRepository)}@${subject.digest}`
    return this.locks.run(key, () => this.writeUnlocked(subject, items))
  }

  private async writeUnlocked(subject: BundleSubject, items: readonly BundleItem[]): Promise<BundleWriteResult[]> {
    const repository = subject.signatureRepository
    const own = items.map((item) => ownership(item))
    const results: (BundleWriteResult | undefined)[] = items.map(() => undefined)
    // A keyless signature is new each time (fresh certificate); only a key we hold can recognise its own.
    if (own.some((o) => o !== undefined)) {
      const {manifests} = await listReferrers(this.client, repository, subject.digest)
      await mapLimit([...items.keys()], PARALLEL, async (i) => {
        const existing = own[i] && (await this.findEquivalent(repository, subject.digest, manifests, own[i]!))
        if (existing) results[i] = {repository, referrerDigest: existing.digest, appended: false}
      })
    }

    const pending = [...items.keys()].filter((i) => results[i] === undefined)
    if (pending.length === 0) return results as BundleWriteResult[]
    const descriptor = subject.descriptor ?? (await subjectDescriptor(this.client, subject.imageRepository, subject.digest))
    const created = new Date()
    const [manifests] = await Promise.all([
      mapLimit(pending, PARALLEL, async (i) => {
        const bundle = await createDsseBundle(items[i]!.statement, items[i]!)
        const layer = await this.client.uploadBlob(repository, bundle, BUNDLE_MEDIA_TYPE)
        return bundleReferrerManifest(layer, descriptor, items[i]!.predicateType, created)
      }),
      this.ensureEmptyConfig(repository),
    ])
    const written = new Map<string, number>(manifests.map((bytes, at) => [sha256Digest(bytes), pending[at]!]))
    const added = await this.addWithRetry(repository, descriptor, manifests, (entries) => this.redundant(repository, subject.digest, entries, written, own))
    for (const [at, i] of pending.entries()) {
      const ours = added.descriptors[at]!.digest
      // With the fallback index, a racing run with this key may have attached the same statement:
      // one of the two stays listed, and that one is the result.
      const kept = added.listed ? await this.keptFor(repository, subject.digest, added.listed, ours, own[i]) : ours
      results[i] = {repository, referrerDigest: kept, appended: kept === ours, via: added.via}
    }

    return results as BundleWriteResult[]
  }

  private addWithRetry(repository: Repository, subject: Descriptor, manifests: Buffer[], redundant: (entries: Descriptor[]) => Promise<Set<string>>) {
    return retry(
      async (attempt) => {
        if (attempt.number > 1) await this.ensureEmptyConfig(repository)
        return addReferrers(this.client, repository, subject, manifests, MediaType.ociManifest, {redundant})
      },
      {
        attempts: 4,
        // It holds the fallback index's rounds, so it gets their time.
        deadline: this.client.operationDeadline('rounds'),
        // Other processes uploading the shared empty config at the same moment (see below).
        retryError: isTransientBlobRace,
        delay: (attempt) => backoff(attempt, 50),
      },
    )
  }

  /**
   * Of the referrers standing for one of our statements (ours and a racing run's copy with the
   * same key and witnesses), all but the least digest are left out of the fallback index. Only
   * where we added one: duplicates that were there before are not ours to tidy.
   */
  private async redundant(repository: Repository, digest: string, entries: Descriptor[], written: Map<string, number>, own: (Ownership | undefined)[]): Promise<Set<string>> {
    const leaveOut = new Set<string>()
    for (const [ours, i] of written) {
      if (!own[i] || !entries.some((e) => e.digest === ours)) continue
      const copies = await this.copiesOf(repository, digest, entries, ours, own[i]!)
      for (const copy of copies.slice(1)) leaveOut.add(copy)
    }

    return leaveOut
  }

  private async keptFor(repository: Repository, digest: string, listed: Descriptor[], ours: string, owner: Ownership | undefined): Promise<string> {
    if (!owner) return ours
    return (await this.copiesOf(repository, digest, listed, ours, owner))[0] ?? ours
  }

  /** Digests of the listed referrers that are copies of ours (ours included), least first. */
  private async copiesOf(repository: Repository, digest: string, entries: Descriptor[], ours: string, owner: Ownership): Promise<string[]> {
    const copies = [ours]
    await mapLimit(entries, PARALLEL, async (entry) => {
      if (entry.digest !== ours && (await this.isEquivalent(repository, digest, entry, owner))) copies.push(entry.digest)
    })
    return [...new Set(copies)].sort()
  }

  private async findEquivalent(repository: Repository, digest: string, listed: Descriptor[], owner: Ownership): Promise<Descriptor | undefined> {
    for (const entry of listed) if (await this.isEquivalent(repository, digest, entry, owner)) return entry
    return undefined
  }

  private async isEquivalent(repository: Repository, digest: string, entry: Descriptor, owner: Ownership): Promise<boolean> {
    if (!mayBeBundle(entry.artifactType)) return false
    // cosign's fallback entries carry no annotations: then only the manifest tells the type.
    const indexed = entry.annotations?.[BundleAnnotation.predicateType]
    if (indexed !== undefined && indexed !== owner.predicateType) return false
    const facts = await this.factsOf(repository, digest, entry.digest)
    if (!facts || facts.predicateType !== owner.predicateType || facts.payloadDigest !== owner.statementDigest) return false
    // With witnesses (Rekor, a TSA), only a bundle they witnessed stands for a new one.
    if (owner.witnessed && !facts.witnessed) return false
    return facts.signatures.some((signature) => owner.verifier.verify(owner.pae, signature))
  }

  private factsOf(repository: Repository, subjectDigest: string, referrer: string): Promise<ReferrerFacts | undefined> {
    const key = `${repositoryName(repository)}@${referrer}`
    let facts = this.facts.get(key)
    if (!facts) {
      facts = readFacts(this.client, repository, subjectDigest, referrer)
      this.facts.set(key, facts)
      facts.catch(() => this.facts.delete(key))
    }

    return facts
  }

  /**
   * Every bundle referrer shares the empty config blob. Several writers uploading it at once, where
   * the repository did not have it yet, intermittently left one writer's manifest PUT failing on
   * distribution 2.8 (DIGEST_INVALID / MANIFEST_BLOB_UNKNOWN, seen in the concurrent-writers test):
   * this run uploads it one writer at a time, and only when it is missing.
   */
  private ensureEmptyConfig(repository: Repository): Promise<void> {
    return this.configs.run(repositoryName(repository), async () => {
      if (await this.client.blobExists(repository, EMPTY_CONFIG_DESCRIPTOR.digest)) return
      await this.client.uploadBlob(repository, EMPTY_CONFIG, EMPTY_CONFIG_DESCRIPTOR.mediaType)
    })
  }
}

/** What recognises a bundle as one of ours: the statement, and the key that signs it. */
interface Ownership {
  predicateType: string
  statementDigest: string
  pae: Buffer
  verifier: Verifier
  witnessed: boolean
}

function ownership(item: BundleItem): Ownership | undefined {
  if (!isKeySigner(item.signer as Signer | SigstoreSigner)) return undefined
  return {
    predicateType: item.predicateType,
    statementDigest: sha256Digest(item.statement),
    pae: pae(IN_TOTO_PAYLOAD_TYPE, item.statement),
    verifier: verifierFromPem((item.signer as Signer).publicKeyPem, 'the signing key'),
    witnessed: (item.witnesses?.length ?? 0) > 0,
  }
}

async function readFacts(client: RegistryClient, repository: Repository, subjectDigest: string, referrer: string): Promise<ReferrerFacts | undefined> {
  const manifest = await client.findManifest(repository, referrer)
  const json = manifest?.json as ImageManifest | undefined
  if (!json || json.subject?.digest !== subjectDigest) return undefined
  const layer = (json.layers ?? []).find((l) => isCurrentBundle(l.mediaType))
  if (!layer || layer.size > MAX_BUNDLE_BYTES) return undefined
  let bundle: {dsseEnvelope?: DsseEnvelope; verificationMaterial?: {tlogEntries?: unknown[]; timestampVerificationData?: {rfc3161Timestamps?: unknown[]}}}
  try {
    bundle = JSON.parse((await client.getBlob(repository, layer.digest, MAX_BUNDLE_BYTES)).toString('utf8'))
  } catch (error) {
    if (error instanceof SyntaxError) return undefined
    throw error
  }

  const envelope = bundle?.dsseEnvelope
  const material = bundle?.verificationMaterial
  const witnessed = (material?.tlogEntries?.length ?? 0) > 0 || (material?.timestampVerificationData?.rfc3161Timestamps?.length ?? 0) > 0
  const predicateType = json.annotations?.[BundleAnnotation.predicateType]
  if (!envelope || typeof envelope.payload !== 'string' || envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE || !Array.isArray(envelope.signatures)) {
    return {predicateType, signatures: [], witnessed}
  }

  const signatures = envelope.signatures.flatMap((s) => (typeof s?.sig === 'string' ? [Buffer.from(s.sig, 'base64')] : []))
  return {predicateType, payloadDigest: sha256Digest(Buffer.from(envelope.payload, 'base64')), signatures, witnessed}
}

async function subjectDescriptor(client: RegistryClient, repository: Repository, digest: string): Promise<Descriptor> {
  const manifest = await client.getManifest(repository, digest)
  return {mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length}
}
