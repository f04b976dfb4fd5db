import type {KeyObject} from 'node:crypto'

import type {KeyAlgorithm} from './types.js'

/** Named in every "unsupported algorithm" message so the user knows what would work. */
export const SUPPORTED_ALGORITHMS = 'ECDSA P-256, P-384 or P-521, RSA 2048 to 4096 bits, or Ed25519'

/** Digest each algorithm signs with; undefined for Ed25519, which signs the message (pure). */
export const DIGEST: Record<KeyAlgorithm, 'sha256' | 'sha384' | 'sha512' | undefined> = {
  'ecdsa-p256-sha256': 'sha256',
  'ecdsa-p384-sha384': 'sha384',
  'ecdsa-p521-sha512': 'sha512',
  'rsa-pkcs1v15-sha256': 'sha256',
  ed25519: undefined,
}

const CURVES: Record<string, KeyAlgorithm> = {
  prime256v1: 'ecdsa-p256-sha256',
  secp384r1: 'ecdsa-p384-sha384',
  secp521r1: 'ecdsa-p521-sha512',
}

// Same bounds as sigstore's goodkey: smaller RSA keys are weak, larger ones are not accepted by Rekor.
const RSA_MIN_BITS = 2048
const RSA_MAX_BITS = 4096

/** The algorithm of a private or public key, or undefined when we do not support it. */
export function algorithmOf(key: KeyObject): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {}
  switch (key.asymmetricKeyType) {
    case 'ec': {
      return CURVES[details.namedCurve ?? '']
    }

    case 'rsa': {
      const bits = details.modulusLength ?? 0
      return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS ? 'rsa-pkcs1v15-sha256' : undefined
    }

    case 'ed25519': {
      return 'ed25519'
    }

    default: {
      return undefined
    }
  }
}

/** "EC P-192", "RSA 1024 bits", "dsa": what the unsupported key is, for the error message. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {}
  if (key.asymmetricKeyType === 'ec') return `EC ${details.namedCurve ?? 'unknown curve'}`
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details.modulusLength ?? '?'} bits`
  return key.asymmetricKeyType ?? 'unknown key type'
}
