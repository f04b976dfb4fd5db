import {type CosignConfig, type Report, type SigningConfig} from '../config/index.js'
import {PluginError, isPluginError} from '../errors.js'
import {displayKeyReference} from '../keys/index.js'
import {type ImageReference, type Repository, parseReference, parseRepositoryName, repositoryName} from '../reference/reference.js'

// What the signer phase will do, worked out from report.toml and cosign.toml before any network
// access: the tags to check, the repositories that receive signatures, the keys to load.

export interface SigningTarget {
  /** The repository the image was exported to (its name goes into docker-reference). */
  imageRepository: Repository
  /** Where `.sig`/`.att`/`.sbom` go: the config's repository, or the image repository. */
  signatureRepository: Repository
}

export interface PlannedConfig {
  config: SigningConfig
  label: string
  targets: SigningTarget[]
}

export interface ReportPlan {
  digest: string
  tags: ImageReference[]
  imageRepositories: Repository[]
  annotations: Record<string, string>
  configs: PlannedConfig[]
}

export function planReport(report: Report, cosign: CosignConfig, purpose: 'sign' | 'verify' = 'sign'): ReportPlan {
  const tags = report.tags.map((tag) => {
    try {
      return parseReference(tag)
    } catch (error) {
      throw isPluginError(error) ? new PluginError('CONFIG_INVALID', `${report.file}: image.tags: ${error.message}`) : error
    }
  })
  const imageRepositories = distinct(tags.map((t) => t.repository))
  for (const config of purpose === 'sign' ? cosign.configs : []) {
    if (!config.keyless && config.key === undefined) {
      throw new PluginError('CONFIG_INVALID', `${cosign.file}: configs[${config.index}] has only a public-key, which verifies; signing needs key = "<path to the private key>"`)
    }
  }

  const configs = cosign.configs.map((config) => {
    // A pkcs11: key is shown without its pin-value.
    const key = config.key ?? config.publicKey
    const label = `configs[${config.index}] (${key === undefined ? 'keyless' : displayKeyReference(key)})`
    const override = config.repository ? parseOverride(cosign.file, config) : undefined
    const targets = imageRepositories.map((imageRepository) => ({imageRepository, signatureRepository: override ?? imageRepository}))
    return {config, label, targets}
  })
  return {digest: report.digest, tags, imageRepositories, annotations: cosign.annotations, configs}
}

/** Distinct by name, first occurrence kept. */
export function distinct(repositories: readonly Repository[]): Repository[] {
  const seen = new Map<string, Repository>()
  for (const repository of repositories) if (!seen.has(repositoryName(repository))) seen.set(repositoryName(repository), repository)
  return [...seen.values()]
}

function parseOverride(file: string, config: SigningConfig): Repository {
  try {
    return parseRepositoryName(config.repository!)
  } catch (error) {
    throw isPluginError(error) ? new PluginError('CONFIG_INVALID', `${file}: configs[${config.index}].repository: ${error.message}`) : error
  }
}
