import {createHash} from 'node:crypto'

import {PluginError} from '../errors.js'

export function sha256Digest(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`
}

/** Content from a registry is trusted only once it hashes to the digest it was asked for. */
export function verifyDigest(content: Buffer, expected: string, what: string): void {
  if (!expected.startsWith('sha256:')) {
    throw new PluginError('DIGEST_MISMATCH', `${what}: unsupported digest algorithm in ${expected} (only sha256)`)
  }

  const actual = sha256Digest(content)
  if (actual !== expected) {
    throw new PluginError('DIGEST_MISMATCH', `${what}: the registry served content with digest ${actual}, expected ${expected}`)
  }
}
