import {PluginError} from '../errors.js'

// SLSA v1 provenance for a Cloud Native Buildpacks image, built from what the image records about
// itself (the lifecycle's three config labels) and what the host knows about the build. Where
// kpack lists only the source and the builder, this lists every buildpack, the run image and the
// lifecycle too: what went into the image. Nothing here touches the network.

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1'
/** Ours: documented in docs/provenance.md (external parameters, dependencies, what each means). */
export const BUILD_TYPE = 'urn:pack-ts:buildtype:cnb-build:v1'

export const LABELS = {
  build: 'io.buildpacks.build.metadata',
  lifecycle: 'io.buildpacks.lifecycle.metadata',
  project: 'io.buildpacks.project.metadata',
} as const

/** What a host's `build` may add (validated before it gets here). */
export interface HostBuildInputs {
  /** The builder image, `name@sha256:…` or a name. */
  builder?: string
  /** The buildpacks the user asked for (`--buildpack`), as given. */
  buildpacks?: string[]
  /** Names of the environment variables passed to the build: never their values. */
  env?: string[]
  /** RFC 3339 times. */
  startedOn?: string
  finishedOn?: string
  /** The source as the host knows it (a git remote and commit), when the image's label does not say. */
  source?: {uri: string; commit?: string}
}

export interface ProvenanceInput {
  /** The image config's labels, as the registry holds them. */
  labels: Record<string, unknown>
  /** report.toml's tags: what was asked for. */
  tags: readonly string[]
  /** The tool that made the attestation: `runDetails.builder`. */
  builder: {id: string; version: Record<string, string>}
  host?: HostBuildInputs
  /** Where a CI run URL is found (GitHub Actions, GitLab). */
  env: Readonly<Record<string, string | undefined>>
}

export interface ResourceDescriptor {
  uri?: string
  name?: string
  digest?: Record<string, string>
  annotations?: Record<string, unknown>
}

export interface ProvenancePredicate {
  buildDefinition: {
    buildType: string
    externalParameters: Record<string, unknown>
    internalParameters?: Record<string, unknown>
    resolvedDependencies: ResourceDescriptor[]
  }
  runDetails: {
    builder: {id: string; version?: Record<string, string>}
    metadata?: {invocationId?: string; startedOn?: string; finishedOn?: string}
  }
}

export function provenancePredicate(input: ProvenanceInput): {predicate: ProvenancePredicate; warnings: string[]} {
  const warnings: string[] = []
  const read = (name: string) => {
    const value = labelJson(input.labels, name)
    if (value === undefined) warnings.push(`the image has no ${name} label: its entries are left out of the provenance`)
    return value
  }

  const build = read(LABELS.build)
  const lifecycle = read(LABELS.lifecycle)
  const project = read(LABELS.project)
  const fromLabel = source(project)
  const dependencies = [
    ...(fromLabel.length > 0 ? fromLabel : hostSource(input.host?.source)),
    ...(input.host?.builder ? [image('builder', input.host.builder)] : []),
    ...buildpacks(build),
    ...runImage(lifecycle),
    ...lifecycleVersion(build, lifecycle),
  ]
  const externalParameters: Record<string, unknown> = {tags: [...input.tags]}
  if (input.host?.builder) externalParameters.builder = input.host.builder
  if (input.host?.buildpacks?.length) externalParameters.buildpacks = [...input.host.buildpacks]
  if (input.host?.env?.length) externalParameters.env = [...input.host.env].sort()
  if (input.host?.source) externalParameters.source = {...input.host.source}
  const metadata = {
    ...(invocationId(input.env) ? {invocationId: invocationId(input.env)} : {}),
    ...(input.host?.startedOn ? {startedOn: input.host.startedOn} : {}),
    ...(input.host?.finishedOn ? {finishedOn: input.host.finishedOn} : {}),
  }
  return {
    predicate: {
      buildDefinition: {buildType: BUILD_TYPE, externalParameters, resolvedDependencies: dependencies},
      runDetails: {builder: input.builder, ...(Object.keys(metadata).length > 0 ? {metadata} : {})},
    },
    warnings,
  }
}

/** The label parsed, undefined when absent; a label that is there but not a JSON object is an error. */
function labelJson(labels: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const label = labels[name]
  if (label === undefined || label === null || label === '') return undefined
  let value: unknown
  try {
    value = typeof label === 'string' ? JSON.parse(label) : undefined
  } catch {
    value = undefined
  }

  if (!isObject(value)) throw new PluginError('SBOM_INVALID', `the image label ${name} is malformed: it is not a JSON object; rebuild the image, or set provenance = false`)
  return value
}

/** `io.buildpacks.build.metadata` `buildpacks[]`: id, version, homepage. */
function buildpacks(build: Record<string, unknown> | undefined): ResourceDescriptor[] {
  const list = Array.isArray(build?.buildpacks) ? build.buildpacks : []
  return list.filter(isObject).flatMap((bp) => {
    if (typeof bp.id !== 'string') return []
    const version = typeof bp.version === 'string' ? bp.version : undefined
    return [
      {
        uri: `urn:cnb:buildpack:${bp.id}${version ? `@${version}` : ''}`,
        name: bp.id,
        annotations: {kind: 'buildpack', ...(version ? {version} : {}), ...(typeof bp.homepage === 'string' ? {homepage: bp.homepage} : {})},
      },
    ]
  })
}

/** `io.buildpacks.lifecycle.metadata` `runImage`: the image reference, its digest and top layer. */
function runImage(lifecycle: Record<string, unknown> | undefined): ResourceDescriptor[] {
  const run = isObject(lifecycle?.runImage) ? lifecycle.runImage : undefined
  const stack = isObject(lifecycle?.stack) && isObject(lifecycle.stack.runImage) ? lifecycle.stack.runImage : undefined
  const name = typeof run?.image === 'string' ? run.image : typeof stack?.image === 'string' ? stack.image : undefined
  if (!run && !name) return []
  const reference = typeof run?.reference === 'string' ? run.reference : undefined
  const digest = reference?.match(/sha256:([0-9a-f]{64})$/)?.[1]
  const topLayer = typeof run?.topLayer === 'string' ? run.topLayer : undefined
  return [
    {
      ...(name ? {uri: `docker://${name}`, name} : {}),
      ...(digest ? {digest: {sha256: digest}} : {}),
      annotations: {kind: 'run-image', ...(reference ? {reference} : {}), ...(topLayer ? {topLayer} : {})},
    },
  ]
}

/** `io.buildpacks.project.metadata` `source`: a git repository and commit. */
function source(project: Record<string, unknown> | undefined): ResourceDescriptor[] {
  const src = isObject(project?.source) ? project.source : undefined
  if (!src) return []
  const version = isObject(src.version) ? src.version : {}
  const meta = isObject(src.metadata) ? src.metadata : {}
  const commit = typeof version.commit === 'string' ? version.commit : undefined
  const repository = typeof meta.repository === 'string' ? meta.repository : typeof meta.url === 'string' ? meta.url : undefined
  const refs = Array.isArray(meta.refs) ? meta.refs.filter((r): r is string => typeof r === 'string') : []
  const gitCommit = commit && /^[0-9a-f]{40}$/.test(commit) ? {gitCommit: commit} : undefined
  return [
    {
      ...(repository ? {uri: `git+${repository}${commit ? `@${commit}` : ''}`} : {}),
      name: 'source',
      ...(gitCommit ? {digest: gitCommit} : {}),
      annotations: {kind: 'source', ...(typeof src.type === 'string' ? {type: src.type} : {}), ...(commit ? {commit} : {}), ...(refs.length ? {refs} : {})},
    },
  ]
}

/** The host's word for the source, used when the image carries no project metadata. */
function hostSource(host: HostBuildInputs['source']): ResourceDescriptor[] {
  if (!host) return []
  const gitCommit = host.commit && /^[0-9a-f]{40}$/.test(host.commit) ? {gitCommit: host.commit} : undefined
  return [
    {
      uri: `git+${host.uri}${host.commit ? `@${host.commit}` : ''}`,
      name: 'source',
      ...(gitCommit ? {digest: gitCommit} : {}),
      annotations: {kind: 'source', ...(host.commit ? {commit: host.commit} : {}), from: 'host'},
    },
  ]
}

/** The launcher's (and so the lifecycle's) version, from either label. */
function lifecycleVersion(build: Record<string, unknown> | undefined, lifecycle: Record<string, unknown> | undefined): ResourceDescriptor[] {
  const launcher = isObject(build?.launcher) ? build.launcher : isObject(lifecycle?.launcher) ? lifecycle.launcher : undefined
  const version = typeof launcher?.version === 'string' ? launcher.version : undefined
  if (!version) return []
  return [{uri: `urn:cnb:lifecycle@${version}`, name: 'lifecycle', annotations: {kind: 'lifecycle', version}}]
}

function image(kind: string, reference: string): ResourceDescriptor {
  const digest = reference.match(/@sha256:([0-9a-f]{64})$/)?.[1]
  return {uri: `docker://${reference}`, name: reference.replace(/@sha256:[0-9a-f]{64}$/, ''), ...(digest ? {digest: {sha256: digest}} : {}), annotations: {kind}}
}

/** The CI run's URL, where the environment names one. */
export function invocationId(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
    return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
  }

  return env.CI_JOB_URL || undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
