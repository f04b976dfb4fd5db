import {type Signer, type Verifier} from '../keys/index.js'

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

export async function signEnvelope(signer: Signer, payloadType: string, payload: Buffer): Promise<Buffer> {
  return envelopeBytes(payloadType, payload, await signer.sign(pae(payloadType, payload)))
}

/**
 * The envelope JSON as bytes, in cosign's field order. The payload is base64-encoded in chunks
 * straight into the result, so a large attestation never exists as one giant string.
 */
export function envelopeBytes(payloadType: string, payload: Buffer, signature: Buffer): Buffer {
  const head = Buffer.from(`{"payloadType":${JSON.stringify(payloadType)},"payload":"`)
  const tail = Buffer.from(`","signatures":[{"keyid":"","sig":"${signature.toString('base64')}"}]}`)
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
