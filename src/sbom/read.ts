import {createHash} from 'node:crypto'

import {PluginError} from '../errors.js'
import {SbomCollector, type SbomDocument, type SbomNote} from './documents.js'
import {compressionOf, uncompressedChunks} from './layer-stream.js'
import {resolveLimits, SbomLimitError, type SbomLimits} from './limits.js'
import {TarReader} from './tar-reader.js'

/**
 * Reads the SBOM documents out of the CNB SBOM layer.
 *
 * One pass over the layer: decompress (gzip or plain tar, by media type) → sha256 of the
 * uncompressed bytes → tar reader → collector, which buffers SBOM documents only. The whole
 * uncompressed stream is hashed (trailing bytes after the tar's end included: the diffID covers
 * them) and must equal `expectedDiffId`, the diffID the image config lists for this layer.
 *
 * Failures are SBOM_INVALID: a limit crossed (at once, naming the limit), a digest mismatch,
 * a malformed or truncated tar (reported after the digest check, which is the more useful answer
 * when the bytes are not the layer at all), a document that is not a JSON object. Entries with
 * `..` segments and SBOM paths that are links are skipped and reported through `onNote`.
 */
export async function readSbomDocuments(
  layer: Buffer | AsyncIterable<Buffer>,
  mediaType: string,
  expectedDiffId: string,
  limits: Partial<SbomLimits> = {},
  onNote?: (note: SbomNote) => void,
): Promise<SbomDocument[]> {
  const resolved = resolveLimits(limits)
  const expected = parseDiffId(expectedDiffId)
  const compression = compressionOf(mediaType)
  const collector = new SbomCollector(resolved, onNote)
  const tar = new TarReader(collector)
  const hash = createHash('sha256')
  let tarError: unknown

  for await (const chunk of uncompressedChunks(layer, compression, resolved)) {
    hash.update(chunk)
    if (tarError !== undefined || tar.ended) continue
    try {
      tar.write(chunk)
    } catch (error) {
      if (error instanceof SbomLimitError) throw error
      tarError = error // keep hashing: the digest check comes first
    }
  }

  if (tarError === undefined) {
    try {
      tar.end()
    } catch (error) {
      tarError = error
    }
  }

  const actual = `sha256:${hash.digest('hex')}`
  if (actual !== expected) {
    throw new PluginError(
      'SBOM_INVALID',
      `the SBOM layer's content does not match its diffID: the image config says ${expected}, the layer has ${actual}`,
    )
  }

  if (tarError !== undefined) throw tarError
  return collector.documents()
}

function parseDiffId(diffId: string): string {
  const normalised = diffId.trim().toLowerCase()
  if (!/^sha256:[0-9a-f]{64}$/.test(normalised)) {
    throw new PluginError('SBOM_INVALID', `the SBOM layer's diffID "${diffId}" is not a sha256 digest`)
  }

  return normalised
}
