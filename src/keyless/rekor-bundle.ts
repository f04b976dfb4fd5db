import type {TransparencyLogEntry} from '@sigstore/bundle'

import {PluginError} from '../errors.js'

/**
 * cosign's `dev.sigstore.cosign/bundle` annotation: Rekor's signed entry timestamp and the values
 * it signs (cosign's pkg/cosign/bundle RekorBundle). Go's json.Marshal writes the fields in this
 * order, the SET as base64 ([]byte) and the body as Rekor's base64 string.
 */
export interface RekorBundle {
  SignedEntryTimestamp: string
  Payload: {body: string; integratedTime: number; logIndex: number; logID: string}
}

export function rekorBundle(entry: TransparencyLogEntry): RekorBundle {
  if (!entry.inclusionPromise) {
    throw new PluginError('SIGSTORE_SERVICE', 'the transparency log entry has no signed entry timestamp to store')
  }

  return {
    SignedEntryTimestamp: Buffer.from(entry.inclusionPromise.signedEntryTimestamp).toString('base64'),
    Payload: {
      body: Buffer.from(entry.canonicalizedBody).toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId.keyId).toString('hex'),
    },
  }
}

export function serializeRekorBundle(bundle: RekorBundle): string {
  const {SignedEntryTimestamp, Payload} = bundle
  const {body, integratedTime, logIndex, logID} = Payload
  return JSON.stringify({SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}})
}

/** Reads the annotation back; a malformed one fails verification of that signature. */
export function parseRekorBundle(text: string): RekorBundle {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalid('is not JSON')
  }

  const bundle = parsed as Partial<RekorBundle> | null
  const payload = bundle?.Payload
  if (typeof bundle?.SignedEntryTimestamp !== 'string') throw invalid('has no SignedEntryTimestamp')
  if (typeof payload?.body !== 'string') throw invalid('has no Payload.body')
  if (!Number.isSafeInteger(payload.integratedTime) || !Number.isSafeInteger(payload.logIndex)) {
    throw invalid('has no integer Payload.integratedTime and Payload.logIndex')
  }

  if (typeof payload.logID !== 'string' || !/^[0-9a-f]+$/i.test(payload.logID)) throw invalid('has no hex Payload.logID')
  return {SignedEntryTimestamp: bundle.SignedEntryTimestamp, Payload: payload as RekorBundle['Payload']}
}

/** The bundle as a transparency-log entry @sigstore/verify can check (inclusion promise only). */
export function tlogEntryFromRekorBundle(bundle: RekorBundle): TransparencyLogEntry {
  const body = Buffer.from(bundle.Payload.body, 'base64')
  let kind: unknown
  let version: unknown
  try {
    ;({kind, apiVersion: version} = JSON.parse(body.toString('utf8')) as {kind?: unknown; apiVersion?: unknown})
  } catch {
    throw invalid('has a Payload.body that is not a Rekor entry')
  }

  if (typeof kind !== 'string' || typeof version !== 'string') throw invalid('has a Payload.body without kind and apiVersion')
  return {
    logIndex: String(bundle.Payload.logIndex),
    logId: {keyId: Buffer.from(bundle.Payload.logID, 'hex')},
    kindVersion: {kind, version},
    integratedTime: String(bundle.Payload.integratedTime),
    inclusionPromise: {signedEntryTimestamp: Buffer.from(bundle.SignedEntryTimestamp, 'base64')},
    inclusionProof: undefined,
    canonicalizedBody: body,
  }
}

function invalid(what: string): PluginError {
  return new PluginError('VERIFY_FAILED', `the signature's transparency-log bundle (dev.sigstore.cosign/bundle) ${what}`)
}
