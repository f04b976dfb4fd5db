/** The OCI descriptor: everything pushed or pulled is addressed by one. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  artifactType?: string
  platform?: {architecture: string; os: string; variant?: string}
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  artifactType?: string
  config: Descriptor
  layers: Descriptor[]
  subject?: Descriptor
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

/** A manifest as fetched: its exact bytes (what the digest covers) and the parsed form. */
export interface FetchedManifest {
  mediaType: string
  digest: string
  bytes: Buffer
  json: ImageManifest | ImageIndex
}
