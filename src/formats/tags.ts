/** cosign's tag scheme: `sha256:<hex>` becomes `sha256-<hex>.<suffix>`. */
export type TagSuffix = 'sig' | 'att' | 'sbom'

export function cosignTag(digest: string, suffix: TagSuffix): string {
  return `${digest.replace(':', '-')}.${suffix}`
}
