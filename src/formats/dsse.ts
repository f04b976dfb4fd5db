import {type Signer, type Verifier} from '../keys/index.js'

/** DSSE envelopes (in-toto attestations), signed over the pre-authentication encoding. */
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json'
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json'

export interface DsseEnvelope {
  payloadType: string
  payload: string
  signatures: {keyid: string; sig: string}[]
}

/** `DSSEv1 SP len(type) SP type SP len(body) SP body`, lengths in bytes. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType)
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload])
}

export async function signEnvelope(signer: Signer, payloadType: string, payload: Buffer): Promise<Buffer> {
  const signature = await signer.sign(pae(payloadType, payload))
  const envelope: DsseEnvelope = {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{keyid: '', sig: signature.toString('base64')}],
  }
  return Buffer.from(JSON.stringify(envelope))
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
