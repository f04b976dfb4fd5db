import {PluginError} from '../errors.js'

// Size limits for reading an SBOM layer. The layer comes from a registry we do not control, and a
// few kilobytes of gzip can inflate to gigabytes, so every byte count is checked while streaming,
// before the bytes are used, never after the fact.

export interface SbomLimits {
  /** Bytes of the layer blob as stored (compressed). */
  maxCompressedBytes: number
  /** Bytes of the uncompressed tar stream, all of it (what the diffID covers). */
  maxUncompressedBytes: number
  /** Bytes of one SBOM document; documents are the only file contents held in memory. */
  maxDocumentBytes: number
}

const MiB = 1024 * 1024

export const DEFAULT_SBOM_LIMITS: Readonly<SbomLimits> = Object.freeze({
  maxCompressedBytes: 256 * MiB,
  maxUncompressedBytes: 1024 * MiB,
  maxDocumentBytes: 256 * MiB,
})

/** Defaults overridden by whatever the caller set; a limit that is not a positive integer is a bug. */
export function resolveLimits(overrides: Partial<SbomLimits> = {}): SbomLimits {
  const limits = {...DEFAULT_SBOM_LIMITS}
  for (const key of Object.keys(limits) as (keyof SbomLimits)[]) {
    const value = overrides[key]
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`SBOM limit ${key} must be a positive integer, got ${value}`)
    }

    limits[key] = value
  }

  return limits
}

/**
 * Thrown the moment a limit is crossed. A subclass (still SBOM_INVALID) so the reader can tell it
 * from a malformed tar: a limit stops reading at once, a malformed tar is reported only after the
 * digest check (a digest mismatch is the more useful answer when both hold).
 */
export class SbomLimitError extends PluginError {
  constructor(message: string) {
    super('SBOM_INVALID', message)
  }
}

const LIMIT_NAMES: Record<keyof SbomLimits, string> = {
  maxCompressedBytes: 'compressed layer size limit',
  maxUncompressedBytes: 'uncompressed layer size limit',
  maxDocumentBytes: 'SBOM document size limit',
}

/** Where the command line sets each limit (sign --report, build --sign). */
const LIMIT_FLAGS: Record<keyof SbomLimits, string> = {
  maxCompressedBytes: '--sbom-max-layer-mib',
  maxUncompressedBytes: '--sbom-max-uncompressed-mib',
  maxDocumentBytes: '--sbom-max-document-mib',
}

export function limitExceeded(limits: SbomLimits, key: keyof SbomLimits, what: string): SbomLimitError {
  return new SbomLimitError(
    `${what} exceeds the ${LIMIT_NAMES[key]} (${key} = ${formatBytes(limits[key])}); ` +
      `refusing to read further. If this SBOM is legitimately that large, raise it with ${LIMIT_FLAGS[key]}.`,
  )
}

export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`
  return `${bytes} bytes`
}
