import {type Envelope} from '@sigstore/bundle'
import {type Signer as SigstoreSigner, type Witness} from '@sigstore/sign'

import {type SignatureFormat} from '../config/index.js'
import {type AttestationWitness, prepareAttestation} from '../formats/attestation.js'
import {type ClassicWitness, prepareClassicSignature} from '../formats/classic-signature.js'
import {type Publisher} from '../formats/publisher.js'
import {BUNDLE_ANNOTATION} from '../formats/annotations.js'
import {type FulcioCertificate} from '../keyless/index.js'
import {type Signer} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type Descriptor} from '../registry/types.js'

// One signature or attestation in the configured format(s): classic (`.sig`/`.att` tags, what
// cosign 2 reads), bundle (Sigstore bundles as OCI referrers, what cosign 3 writes), or both —
// with a key or keyless, and witnessed by Rekor and a timestamp authority as configured.
//
// Queued, not written: it is signed (and witnessed) now, and the Publisher writes it with every
// other entry bound for the same tag or subject. `written` settles once the Publisher's batches
// have run; attach a handler to it at once.

export interface Written {
  format: 'classic' | 'bundle'
  repository: string
  /** The cosign tag (classic) or the referrer manifest's digest (bundle). */
  location: string
  manifestDigest: string
  appended: boolean
}

export interface Subject {
  imageRepository: Repository
  signatureRepository: Repository
  /** The signed manifest. */
  descriptor: Descriptor
}

/**
 * What vouches for a signature beyond the key: a Fulcio certificate (keyless), a Rekor entry, an
 * RFC 3161 timestamp. Classic signatures carry them as cosign's layer annotations, bundles as
 * their verification material.
 */
export interface Witnessing {
  /** Keyless: the certificate of the signer's (ephemeral) key, asked for once and shared. */
  certificate?: () => Promise<FulcioCertificate>
  /** Keyless: the same key as @sigstore/sign's Signer, presenting the certificate in bundles. */
  sigstoreSigner?: SigstoreSigner
  /** Log every signature in this Rekor. */
  rekorUrl?: string
  /** Timestamp every signature with this TSA (classic signatures and bundles; not classic attestations). */
  tsaUrl?: string
}

export interface SigningOptions {
  signer: Signer
  format: SignatureFormat
  dockerMediaTypes: boolean
  witnessing?: Witnessing
}

/** The sigstore packages cost ~80 ms to load: only runs that write bundles or witness signatures pay. */
const loadBundles = () => import('../formats/bundle/index.js')
const loadKeyless = () => import('../keyless/index.js')

const fromClassic = (r: {repository: Repository; tag: string; manifestDigest: string; appended: boolean}): Written => ({
  format: 'classic',
  repository: repositoryName(r.repository),
  location: r.tag,
  manifestDigest: r.manifestDigest,
  appended: r.appended,
})

const fromBundle = (r: {repository: Repository; referrerDigest: string; appended: boolean}): Written => ({
  format: 'bundle',
  repository: repositoryName(r.repository),
  location: r.referrerDigest,
  manifestDigest: r.referrerDigest,
  appended: r.appended,
})

const formatsOf = (format: SignatureFormat): ('classic' | 'bundle')[] => (format === 'both' ? ['classic', 'bundle'] : [format])

export interface Queued {
  /** Every format written; rejects when one was not. */
  written: Promise<Written[]>
  /** Each format on its own (`both`: the classic entry may be written when the bundle is not). */
  parts: Promise<Written>[]
}

export async function queueSignature(publisher: Publisher, subject: Subject, annotations: Record<string, string>, options: SigningOptions): Promise<Queued> {
  const parts: Promise<Written>[] = []
  for (const format of formatsOf(options.format)) {
    if (format === 'classic') {
      const prepared = await prepareClassicSignature(publisher.tags.client, {
        imageRepository: subject.imageRepository,
        digest: subject.descriptor.digest,
        signatureRepository: subject.signatureRepository,
        signer: options.signer,
        annotations,
        dockerMediaTypes: options.dockerMediaTypes,
        witness: classicWitness(options),
      })
      parts.push(publisher.layer(prepared, 'signature').then(fromClassic))
    } else {
      const [{signatureItem}, target] = await Promise.all([loadBundles(), bundleTarget(subject, options)])
      parts.push(publisher.bundle(target, signatureItem({...target, annotations}), 'signature').then(fromBundle))
    }
  }

  return {written: Promise.all(parts), parts}
}

export async function queueSbomAttestation(
  publisher: Publisher,
  subject: Subject,
  predicateType: string,
  predicate: Buffer,
  options: SigningOptions,
): Promise<Queued> {
  const parts: Promise<Written>[] = []
  for (const format of formatsOf(options.format)) {
    if (format === 'classic') {
      const prepared = await prepareAttestation(publisher.tags.client, {
        imageRepository: subject.imageRepository,
        digest: subject.descriptor.digest,
        attestationRepository: subject.signatureRepository,
        predicateType,
        predicate,
        signer: options.signer,
        dockerMediaTypes: options.dockerMediaTypes,
        witness: attestationWitness(options),
      })
      parts.push(publisher.layer(prepared, 'attestation').then(fromClassic))
    } else {
      const [{attestationItem}, target] = await Promise.all([loadBundles(), bundleTarget(subject, options)])
      parts.push(publisher.bundle(target, attestationItem({...target, predicateType, predicate}), 'attestation').then(fromBundle))
    }
  }

  return {written: Promise.all(parts), parts}
}

/** cosign's `.sig` layer annotations: certificate and chain, Rekor bundle (hashedrekord entry), timestamp. */
function classicWitness(options: SigningOptions): ClassicWitness | undefined {
  const witnessing = options.witnessing
  if (!witnessing || (!witnessing.certificate && !witnessing.rekorUrl && !witnessing.tsaUrl)) return undefined
  return {
    requires: witnessing.rekorUrl ? [BUNDLE_ANNOTATION] : [],
    findExisting: reusable(witnessing),
    async annotations(payload, signature) {
      const certificate = await witnessing.certificate?.()
      const {witnessClassicSignature} = await loadKeyless()
      return witnessClassicSignature(
        {payload, signature, ...(certificate ? {certificate} : {publicKeyPem: options.signer.publicKeyPem})},
        {rekor: witnessing.rekorUrl ? {url: witnessing.rekorUrl} : undefined, tsa: witnessing.tsaUrl ? {url: witnessing.tsaUrl} : undefined},
      )
    },
  }
}

/**
 * cosign's `.att` layer annotations: certificate and chain, and the Rekor bundle of a dsse entry
 * for the envelope. No RFC 3161 timestamp: cosign 2 timestamps an attestation's whole envelope,
 * sigstore its signature, and no verifier would accept both.
 */
function attestationWitness(options: SigningOptions): AttestationWitness | undefined {
  const witnessing = options.witnessing
  if (!witnessing || (!witnessing.certificate && !witnessing.rekorUrl)) return undefined
  return {
    requires: witnessing.rekorUrl ? [BUNDLE_ANNOTATION] : [],
    findExisting: reusable(witnessing),
    async annotations(envelope: Envelope) {
      const certificate = await witnessing.certificate?.()
      const signerPem = certificate?.certificatePem ?? options.signer.publicKeyPem
      const {classicAnnotations, uploadEnvelope} = await loadKeyless()
      const tlogEntry = witnessing.rekorUrl ? await uploadEnvelope(envelope, signerPem, {url: witnessing.rekorUrl}) : undefined
      return classicAnnotations({certificate, tlogEntry})
    },
  }
}

/** A key's logged signature is worth looking for before logging again; a keyless one never matches (a fresh key each run). */
function reusable(witnessing: Witnessing): boolean {
  return witnessing.rekorUrl !== undefined && witnessing.certificate === undefined
}

async function bundleTarget(subject: Subject, options: SigningOptions) {
  const witnessing = options.witnessing
  const {rekorWitness, tsaWitness} = await loadKeyless()
  const witnesses: Witness[] = []
  if (witnessing?.rekorUrl) witnesses.push(rekorWitness(witnessing.rekorUrl))
  if (witnessing?.tsaUrl) witnesses.push(tsaWitness(witnessing.tsaUrl))
  return {
    imageRepository: subject.imageRepository,
    digest: subject.descriptor.digest,
    descriptor: subject.descriptor,
    signatureRepository: subject.signatureRepository,
    signer: witnessing?.sigstoreSigner ?? options.signer,
    witnesses,
  }
}
