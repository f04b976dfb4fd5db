import assert from 'node:assert/strict'

/**
 * The SLSA v1 provenance predicate's schema (slsa.dev/spec/v1.0/provenance, with the in-toto v1
 * ResourceDescriptor), written out as checks: what a verifier's schema validation rejects.
 *
 * Required: buildDefinition.buildType (a URI), buildDefinition.externalParameters (an object),
 * runDetails.builder.id (a URI). Every ResourceDescriptor (resolvedDependencies, builderDependencies,
 * byproducts) needs at least one of uri, digest, content; a digest maps an algorithm to its value
 * in lowercase hex of that algorithm's length; timestamps are RFC 3339.
 */
export function slsaV1ProvenanceProblems(predicate: unknown): string[] {
  const problems: string[] = []
  const at = (path: string, problem: string) => problems.push(`${path}: ${problem}`)

  if (!isObject(predicate)) return ['predicate: not an object']
  const {buildDefinition, runDetails} = predicate
  if (isObject(buildDefinition)) {
    uriField(buildDefinition.buildType, 'buildDefinition.buildType', at, true)
    if (!isObject(buildDefinition.externalParameters)) at('buildDefinition.externalParameters', 'required, an object')
    if (buildDefinition.internalParameters !== undefined && !isObject(buildDefinition.internalParameters)) at('buildDefinition.internalParameters', 'an object')
    descriptors(buildDefinition.resolvedDependencies, 'buildDefinition.resolvedDependencies', at)
  } else {
    at('buildDefinition', 'required, an object')
  }

  if (isObject(runDetails)) {
    const {builder, metadata} = runDetails
    if (isObject(builder)) {
      uriField(builder.id, 'runDetails.builder.id', at, true)
      if (builder.version !== undefined && !(isObject(builder.version) && Object.values(builder.version).every((v) => typeof v === 'string'))) {
        at('runDetails.builder.version', 'a map of strings')
      }

      descriptors(builder.builderDependencies, 'runDetails.builder.builderDependencies', at)
    } else {
      at('runDetails.builder', 'required, an object')
    }

    if (metadata !== undefined) {
      if (isObject(metadata)) {
        if (metadata.invocationId !== undefined && typeof metadata.invocationId !== 'string') at('runDetails.metadata.invocationId', 'a string')
        for (const name of ['startedOn', 'finishedOn'] as const) {
          const time = metadata[name]
          if (time !== undefined && !isRfc3339(time)) at(`runDetails.metadata.${name}`, `not an RFC 3339 timestamp: ${JSON.stringify(time)}`)
        }
      } else {
        at('runDetails.metadata', 'an object')
      }
    }

    descriptors(runDetails.byproducts, 'runDetails.byproducts', at)
  } else {
    at('runDetails', 'required, an object')
  }

  return problems
}

/** Asserts slsaV1ProvenanceProblems finds nothing, listing what it found. */
export function assertSlsaV1Provenance(predicate: unknown): void {
  const problems = slsaV1ProvenanceProblems(predicate)
  assert.deepEqual(problems, [], `not a valid SLSA v1 provenance predicate:\n${problems.join('\n')}`)
}

/** Hex lengths of the in-toto digest set's algorithms; others need only lowercase hex. */
const DIGEST_HEX_LENGTHS: Record<string, number[]> = {
  sha224: [56], sha256: [64], sha384: [96], sha512: [128], sha512_224: [56], sha512_256: [64],
  sha3_224: [56], sha3_256: [64], sha3_384: [96], sha3_512: [128], shake128: [64], shake256: [128],
  sha1: [40], md5: [32], gitCommit: [40, 64], gitTree: [40, 64], gitBlob: [40, 64], dirHash: [64],
}

type Report = (path: string, problem: string) => void

function descriptors(value: unknown, path: string, at: Report): void {
  if (value === undefined) return
  if (!Array.isArray(value)) {
    at(path, 'a list of ResourceDescriptors')
    return
  }

  for (const [index, descriptor] of value.entries()) resourceDescriptor(descriptor, `${path}[${index}]`, at)
}

function resourceDescriptor(descriptor: unknown, path: string, at: Report): void {
  if (!isObject(descriptor)) {
    at(path, 'a ResourceDescriptor is an object')
    return
  }

  const {uri, digest, content, name, downloadLocation, mediaType, annotations} = descriptor
  if (uri === undefined && digest === undefined && content === undefined) at(path, 'a ResourceDescriptor needs at least one of uri, digest, content')
  if (uri !== undefined) uriField(uri, `${path}.uri`, at)
  if (downloadLocation !== undefined) uriField(downloadLocation, `${path}.downloadLocation`, at)
  if (digest !== undefined) {
    if (isObject(digest) && Object.keys(digest).length > 0) {
      for (const [algorithm, hex] of Object.entries(digest)) {
        const lengths = DIGEST_HEX_LENGTHS[algorithm]
        if (typeof hex !== 'string' || !/^[0-9a-f]+$/.test(hex)) at(`${path}.digest.${algorithm}`, `not lowercase hex: ${JSON.stringify(hex)}`)
        else if (lengths && !lengths.includes(hex.length)) at(`${path}.digest.${algorithm}`, `${hex.length} hex digits, ${algorithm} has ${lengths.join(' or ')}`)
      }
    } else {
      at(`${path}.digest`, 'a non-empty map of algorithm to hex value')
    }
  }

  if (content !== undefined && !(typeof content === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(content) && content.length % 4 === 0)) at(`${path}.content`, 'base64 bytes')
  for (const [field, value] of Object.entries({name, mediaType})) if (value !== undefined && typeof value !== 'string') at(`${path}.${field}`, 'a string')
  if (annotations !== undefined && !isObject(annotations)) at(`${path}.annotations`, 'an object')
}

function uriField(value: unknown, path: string, at: Report, required = false): void {
  if (value === undefined) {
    if (required) at(path, 'required, a URI')
  } else if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(value)) {
    at(path, `not a URI: ${JSON.stringify(value)}`)
  }
}

/** RFC 3339 date-time: full date, T, full time with optional fraction, Z or a numeric offset; and a real instant. */
function isRfc3339(value: unknown): boolean {
  return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(value) && !Number.isNaN(Date.parse(value))
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
