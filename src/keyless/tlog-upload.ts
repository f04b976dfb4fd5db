import {createHash} from 'node:crypto'

import type {Envelope, TransparencyLogEntry} from '@sigstore/bundle'
import {HashAlgorithm} from '@sigstore/protobuf-specs'

import {PluginError} from '../errors.js'
import {DEFAULT_REKOR_URL, rekorWitness, type RekorWitnessOptions} from './witnesses.js'

// Puts a signature we already made into Rekor, through @sigstore/sign's RekorWitness: a
// `hashedrekord` entry for a signed payload (the classic format), a DSSE entry for an envelope.
// `verificationPem` is what Rekor records as the signer: the Fulcio certificate (keyless) or the
// public key (key-based), PEM — what cosign uploads in each case.

export interface RekorOptions extends RekorWitnessOptions {
  /** Default: public Sigstore's Rekor. */
  url?: string
}

export interface SignedPayload {
  payload: Buffer
  signature: Buffer
  verificationPem: string
}

export async function uploadMessageSignature(signed: SignedPayload, rekor: RekorOptions = {}): Promise<TransparencyLogEntry> {
  const digest = createHash('sha256').update(signed.payload).digest()
  const content = {
    $case: 'messageSignature' as const,
    messageSignature: {messageDigest: {algorithm: HashAlgorithm.SHA2_256, digest}, signature: signed.signature},
  }
  return onlyEntry(await witness(rekor).testify(content, signed.verificationPem), rekor)
}

export async function uploadEnvelope(envelope: Envelope, verificationPem: string, rekor: RekorOptions = {}): Promise<TransparencyLogEntry> {
  return onlyEntry(await witness(rekor).testify({$case: 'dsseEnvelope', dsseEnvelope: envelope}, verificationPem), rekor)
}

function witness(rekor: RekorOptions) {
  return rekorWitness(rekor.url ?? DEFAULT_REKOR_URL, rekor)
}

function onlyEntry(material: {tlogEntries?: TransparencyLogEntry[]}, rekor: RekorOptions): TransparencyLogEntry {
  const entry = material.tlogEntries?.[0]
  // cosign's bundle annotation is the signed entry timestamp; an entry without one is useless here.
  if (!entry?.inclusionPromise) {
    throw new PluginError('SIGSTORE_SERVICE', `Rekor at ${rekor.url ?? DEFAULT_REKOR_URL} answered without a signed entry timestamp`)
  }

  return entry
}
