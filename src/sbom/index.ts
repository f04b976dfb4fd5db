// Find and read the CNB SBOM layer of an app image. Pure: bytes in, documents out; fetching the
// manifest, config and layer blob is the registry layer's job.
export {findSbomLayer, LIFECYCLE_METADATA_LABEL} from './locate.js'
export type {ImageConfigLike, LayerDescriptor, ManifestLike, SbomLayerLocation} from './locate.js'
export {readSbomDocuments} from './read.js'
export type {SbomDocument, SbomNote} from './documents.js'
export {DEFAULT_SBOM_LIMITS, resolveLimits} from './limits.js'
export type {SbomLimits} from './limits.js'
export {SBOM_FORMATS} from './formats.js'
export type {SbomFormat, SbomFormatInfo} from './formats.js'
