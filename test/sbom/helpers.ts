import assert from 'node:assert/strict'

import {isPluginError} from '../../src/errors.js'

export const OCI_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip'
export const OCI_TAR = 'application/vnd.oci.image.layer.v1.tar'
export const DOCKER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip'

/** Feeds a buffer in small, odd-sized chunks, as a network stream would. */
export async function* chunked(data: Buffer, size = 333): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size)
}

export async function assertSbomInvalid(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isPluginError(error), `not a PluginError: ${error}`)
    assert.equal(error.code, 'SBOM_INVALID')
    assert.match(error.message, message)
    return true
  })
}
