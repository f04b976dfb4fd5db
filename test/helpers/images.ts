import {randomBytes} from 'node:crypto'
import {gzipSync} from 'node:zlib'

import {type Repository, parseReference} from '../../src/reference/reference.js'
import {RegistryClient} from '../../src/registry/client.js'
import {type CredentialLookup, anonymous} from '../../src/registry/credentials.js'
import {sha256Digest} from '../../src/registry/digest.js'
import {MediaType} from '../../src/registry/media-types.js'
import {type Descriptor} from '../../src/registry/types.js'

/**
 * Test images built as OCI content by code and pushed with the project's own registry client
 * (there is no Docker engine here). Each image gets random layer bytes, so digests are fresh.
 */
export interface PushedImage {
  reference: string
  repository: Repository
  digest: string
  descriptor: Descriptor
}

export interface ImageSpec {
  labels?: Record<string, string>
  /** Uncompressed layer tars; a random one when omitted. */
  layers?: Buffer[]
  platform?: {os: string; architecture: string}
  dockerMediaTypes?: boolean
  /** Push by digest only (index children), leaving no tag behind. */
  untagged?: boolean
}

export function testClient(credentials: CredentialLookup = anonymous): RegistryClient {
  return new RegistryClient({credentials})
}

export async function pushImage(client: RegistryClient, reference: string, spec: ImageSpec = {}): Promise<PushedImage> {
  const ref = parseReference(reference)
  const repository = ref.repository
  const tars = spec.layers ?? [randomBytes(512)]
  const layerType = spec.dockerMediaTypes ? MediaType.dockerLayerGzip : MediaType.ociLayerGzip
  const layers: Descriptor[] = []
  for (const tar of tars) layers.push(await client.uploadBlob(repository, gzipSync(tar), layerType))
  const config = {
    architecture: spec.platform?.architecture ?? 'amd64',
    os: spec.platform?.os ?? 'linux',
    config: {Labels: spec.labels ?? {}},
    rootfs: {type: 'layers', diff_ids: tars.map((t) => sha256Digest(t))},
  }
  const configDescriptor = await client.uploadBlob(
    repository,
    Buffer.from(JSON.stringify(config)),
    spec.dockerMediaTypes ? MediaType.dockerConfig : MediaType.ociConfig,
  )
  const mediaType = spec.dockerMediaTypes ? MediaType.dockerManifest : MediaType.ociManifest
  const manifest = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType, config: configDescriptor, layers}))
  const descriptor = await client.putManifest(repository, spec.untagged ? sha256Digest(manifest) : (ref.tag ?? 'latest'), manifest, mediaType)
  return {reference, repository, digest: descriptor.digest, descriptor}
}

/** An image index over one fresh image per platform, tagged at `reference`. */
export async function pushIndex(
  client: RegistryClient,
  reference: string,
  platforms: {os: string; architecture: string}[] = [
    {os: 'linux', architecture: 'amd64'},
    {os: 'linux', architecture: 'arm64'},
  ],
): Promise<PushedImage & {children: PushedImage[]}> {
  const ref = parseReference(reference)
  const children: PushedImage[] = []
  for (const platform of platforms) {
    const child = await pushImage(client, reference, {platform, untagged: true})
    children.push(child)
  }

  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: children.map((c, i) => ({...c.descriptor, platform: platforms[i]})),
    }),
  )
  const descriptor = await client.putManifest(ref.repository, ref.tag ?? 'latest', index, MediaType.ociIndex)
  return {reference, repository: ref.repository, digest: descriptor.digest, descriptor, children}
}
