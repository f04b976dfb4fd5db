import {type Verifier} from '../keys/index.js'
import {Base64Chunks} from './base64-chunks.js'

/** DSSE envelopes (in-toto attestations), signed over the pre-authentication encoding. */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

export interface DsseEnvelope {
  payloadType: string
  payload: string
  signatures: {keyid: string; sig: string}[]
}

/** The PAE's prefix: `DSSEv1 SP len(type) SP type SP len(body) SP`, lengths in bytes. */
export function paeHeader(payloadType: string, payloadLength: number): Buffer {
  return Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payloadLength} `)
}

export function pae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.concat([paeHeader(payloadType, payload.length), payload])
}

/**
 * The envelope JSON as bytes, in cosign's field order. The payload is base64-encoded in chunks
 * straight into the result, so a large attestation never exists as one giant string.
 */
export function envelopeBytes(payloadType: string, payload: Buffer, signature: Buffer): Buffer {
  const head = envelopeHead(payloadType)
  const tail = envelopeTail(signature)
  const encodedLength = Math.ceil(payload.length / 3) * 4
  const out = Buffer.allocUnsafe(head.length + encodedLength + tail.length)
  head.copy(out, 0)
  let at = head.length
  const chunk = 3 * 1024 * 1024 // a multiple of 3: chunks encode without padding but the last
  for (let start = 0; start < payload.length; start += chunk) {
    at += out.write(payload.subarray(start, start + chunk).toString('base64'), at, 'latin1')
  }

  tail.copy(out, at)
  return out
}

/**
 * `envelopeBytes(payloadType, payload, signature)` as a list of chunks (1 MiB of base64 each but
 * the last), from the payload fed in pieces of any size: neither the payload nor the envelope has
 * to exist in one piece. The signature comes last, as in the JSON, so one pass over the payload
 * can both sign and encode it.
 */
export class EnvelopeChunks {
  private readonly chunks: Buffer[]
  private readonly payload: Base64Chunks

  constructor(payloadType: string) {
    const chunks = [envelopeHead(payloadType)]
    this.chunks = chunks
    this.payload = new Base64Chunks((encoded) => chunks.push(encoded))
  }

  /** Appends payload bytes; the caller may reuse `piece` once this returns. */
  update(piece: Buffer): void {
    this.payload.update(piece)
  }

  /** The envelope's chunks, in order; call once, after the whole payload. */
  finish(signature: Buffer): Buffer[] {
    this.payload.end()
    this.chunks.push(envelopeTail(signature))
    return this.chunks
  }
}

/**
 * An envelope laid out as `envelopeBytes` writes it (and cosign does), read without parsing it
 * whole: a view on the payload's base64 (no decoded copy, no string) and the signatures. Undefined
 * for any other layout, which `parseEnvelope` reads.
 */
export function envelopeParts(bytes: Buffer, payloadType: string): {payloadBase64: Buffer; signatures: Buffer[]} | undefined {
  const head = envelopeHead(payloadType)
  if (!bytes.subarray(0, head.length).equals(head)) return undefined
  const end = bytes.indexOf(0x22, head.length) // base64 has no quote
  if (end === -1 || bytes[end + 1] !== 0x2c) return undefined
  const payloadBase64 = bytes.subarray(head.length, end)
  if (payloadBase64.includes(0x5c)) return undefined // a JSON escape (`\/`): not the plain layout
  let rest: {signatures?: unknown}
  try {
    rest = JSON.parse(`{${bytes.toString('utf8', end + 2)}`) as {signatures?: unknown}
  } catch {
    return undefined
  }

  if (!Array.isArray(rest.signatures)) return undefined
  const signatures = (rest.signatures as {sig?: unknown}[]).flatMap((s) => (typeof s?.sig === 'string' ? [Buffer.from(s.sig, 'base64')] : []))
  return {payloadBase64, signatures}
}

function envelopeHead(payloadType: string): Buffer {
  return Buffer.from(`{"payloadType":${JSON.stringify(payloadType)},"payload":"`)
}

function envelopeTail(signature: Buffer): Buffer {
  return Buffer.from(`","signatures":[{"keyid":"","sig":"${signature.toString('base64')}"}]}`)
}

export function parseEnvelope(bytes: Buffer): DsseEnvelope | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as DsseEnvelope
    if (typeof parsed?.payloadType !== 'string' || typeof parsed.payload !== 'string' || !Array.isArray(parsed.signatures)) return undefined
    return parsed
  } catch {
    return undefined
  }
}

/** The envelope's payload when one of its signatures verifies with the key. */
export function verifiedPayload(envelope: DsseEnvelope, verifier: Verifier): Buffer | undefined {
  const payload = Buffer.from(envelope.payload, 'base64')
  const message = pae(envelope.payloadType, payload)
  const ok = envelope.signatures.some((s) => typeof s?.sig === 'string' && verifier.verify(message, Buffer.from(s.sig, 'base64')))
  return ok ? payload : undefined
}
