// cosign's "simple signing" payload, compact JSON in exactly cosign's key order; `optional` holds
// the -a annotations, or null when there are none.

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'

export interface SimpleSigningPayload {
  critical: {
    identity: {'docker-reference': string}
    image: {'docker-manifest-digest': string}
    type: string
  }
  optional: Record<string, unknown> | null
}

export function simpleSigningPayload(dockerReference: string, digest: string, annotations: Record<string, string>): Buffer {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: {'docker-reference': dockerReference},
      image: {'docker-manifest-digest': digest},
      type: 'cosign container image signature',
    },
    optional: Object.keys(annotations).length > 0 ? annotations : null,
  }
  return Buffer.from(JSON.stringify(payload))
}

/** Parses a payload read from a registry; undefined when it is not a cosign signature payload. */
export function parseSimpleSigning(bytes: Buffer): SimpleSigningPayload | undefined {
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as SimpleSigningPayload
    const digest = parsed?.critical?.image?.['docker-manifest-digest']
    if (typeof digest !== 'string' || parsed.critical.type !== 'cosign container image signature') return undefined
    return parsed
  } catch {
    return undefined
  }
}

/** Whether the payload's optional section carries every required annotation with its value. */
export function hasAnnotations(payload: SimpleSigningPayload, required: Record<string, string>): boolean {
  const optional = payload.optional ?? {}
  return Object.entries(required).every(([key, value]) => optional[key] === value)
}
