import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {isPluginError, messageOf, PluginError} from '../errors.js'
import {limitExceeded, type SbomLimits} from './limits.js'

// Turns a layer blob (a Buffer or a stream of chunks, e.g. a registry response body) into its
// uncompressed tar bytes, chunk by chunk, enforcing the compressed and uncompressed limits as
// bytes pass: a gzip bomb is cut off at the limit, with at most one inflated chunk in memory.

export type LayerCompression = 'gzip' | 'none'

const GZIP_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
])
const TAR_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.docker.image.rootfs.diff.tar',
])

export function compressionOf(mediaType: string): LayerCompression {
  if (GZIP_TYPES.has(mediaType)) return 'gzip'
  if (TAR_TYPES.has(mediaType)) return 'none'
  if (/zstd/i.test(mediaType)) {
    // Node has no zstd in our supported versions (zlib gained it in 22.15/23.8 only).
    throw new PluginError(
      'SBOM_INVALID',
      `the SBOM layer is zstd-compressed (${mediaType}), which is not supported; export the image with gzip layers`,
    )
  }

  throw new PluginError('SBOM_INVALID', `the SBOM layer has media type "${mediaType}", which is not a tar or tar+gzip layer`)
}

/** Slices a Buffer so limits and hashing work in steps, as they would on a network stream. */
const SLICE = 1024 * 1024

async function* compressedChunks(layer: Buffer | AsyncIterable<Buffer>, limits: SbomLimits): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(layer)) {
    if (layer.length > limits.maxCompressedBytes) throw limitExceeded(limits, 'maxCompressedBytes', `the SBOM layer (${layer.length} bytes)`)
    for (let at = 0; at < layer.length; at += SLICE) yield layer.subarray(at, at + SLICE)
    return
  }

  let total = 0
  for await (const chunk of layer) {
    total += chunk.length
    if (total > limits.maxCompressedBytes) throw limitExceeded(limits, 'maxCompressedBytes', 'the SBOM layer')
    yield chunk
  }
}

async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const input = Readable.from(source, {objectMode: false})
  // Larger output chunks than the 16 KiB default: fewer round trips when inflating a big layer.
  const inflate = createGunzip({chunkSize: 64 * 1024})
  // The pipeline only carries errors from `input` (e.g. the compressed limit) into `inflate`,
  // where the loop below sees them; its own promise is not the one to wait on.
  pipeline(input, inflate).catch(() => {})
  try {
    for await (const chunk of inflate) yield chunk as Buffer
  } catch (error) {
    if (isPluginError(error)) throw error
    throw new PluginError('SBOM_INVALID', `the SBOM layer is not valid gzip: ${messageOf(error)}`, {cause: error})
  } finally {
    // Stopping early (a limit, a tar error) must stop inflating too.
    inflate.destroy()
    input.destroy()
  }
}

export async function* uncompressedChunks(
  layer: Buffer | AsyncIterable<Buffer>,
  compression: LayerCompression,
  limits: SbomLimits,
): AsyncGenerator<Buffer> {
  const compressed = compressedChunks(layer, limits)
  const source = compression === 'gzip' ? gunzip(compressed) : compressed
  let total = 0
  for await (const chunk of source) {
    total += chunk.length
    if (total > limits.maxUncompressedBytes) {
      throw limitExceeded(limits, 'maxUncompressedBytes', 'the uncompressed SBOM layer')
    }

    yield chunk
  }
}
