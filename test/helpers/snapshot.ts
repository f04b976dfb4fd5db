import {type TestRegistry} from './registry.js'

/**
 * Every `repo:tag → manifest digest` in a test registry, read with plain HTTP (catalog, tag lists,
 * HEAD of each manifest): the ground truth for "nothing was written" and "exactly these manifests".
 */
export async function registrySnapshot(registry: TestRegistry): Promise<Record<string, string>> {
  const headers: Record<string, string> = {}
  if (registry.username) {
    headers.authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`
  }

  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`http://${registry.host}${path}`, {...init, headers: {...headers, ...(init.headers as Record<string, string>)}})
    if (!response.ok) throw new Error(`snapshot: ${path} → ${response.status}`)
    return response
  }

  const catalog = (await (await get('/v2/_catalog?n=1000')).json()) as {repositories?: string[]}
  const snapshot: Record<string, string> = {}
  for (const repository of catalog.repositories ?? []) {
    const list = (await (await get(`/v2/${repository}/tags/list`)).json()) as {tags?: string[] | null}
    for (const tag of list.tags ?? []) {
      const head = await get(`/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          accept: [
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
          ].join(', '),
        },
      })
      snapshot[`${repository}:${tag}`] = head.headers.get('docker-content-digest') ?? '?'
    }
  }

  return snapshot
}

/** The manifest JSON at a tag, read with plain HTTP. */
export async function fetchManifest(registry: TestRegistry, repository: string, reference: string): Promise<{mediaType: string; json: any}> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json',
  }
  if (registry.username) headers.authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${reference}`, {headers})
  if (!response.ok) throw new Error(`fetchManifest ${repository}:${reference} → ${response.status}`)
  return {mediaType: response.headers.get('content-type') ?? '', json: await response.json()}
}
