import {createHash} from 'node:crypto'

import {PluginError} from '../errors.js'

/** The digest of content given whole, or as the list of its chunks in order. */
export function sha256Digest(content: Buffer | string | readonly Buffer[]): string {
  const hash = createHash('sha256')
  for (const chunk of typeof content === 'string' || Buffer.isBuffer(content) ? [content] : content) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
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
