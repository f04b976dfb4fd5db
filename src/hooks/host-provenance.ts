import {PluginError} from '../errors.js'
import {type HostBuildInputs} from '../provenance/predicate.js'

// The host contract's optional `provenance` object: what `build` knows of the build that the
// image does not record (builder image, requested buildpacks, env var names, times, source).
// Checked strictly, as the report is: a wrong value fails before anything is signed.

const CONTRACT = "the host contract: build's run() may resolve {provenance: {builder?, buildpacks?, env?, startedOn?, finishedOn?, source?: {uri, commit?}}}; see docs/host.md (\"Host contract\") of @pack-ts/plugin-sign"
const KEYS = ['builder', 'buildpacks', 'env', 'startedOn', 'finishedOn', 'source']
const MAX_TEXT = 4096
const MAX_ITEMS = 1000
// RFC 3339 date-time, with a zone (Z or ±hh:mm).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function provenanceFromBuild(result: unknown): HostBuildInputs | undefined {
  const value = typeof result === 'object' && result !== null ? (result as Record<string, unknown>).provenance : undefined
  if (value === undefined) return undefined
  if (!isObject(value)) throw broken('provenance is not an object')
  const unknown = Object.keys(value).filter((key) => !KEYS.includes(key))
  if (unknown.length > 0) throw broken(`provenance has unknown key(s) ${unknown.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}`)
  const inputs: HostBuildInputs = {}
  if (value.builder !== undefined) inputs.builder = text(value.builder, 'provenance.builder')
  if (value.buildpacks !== undefined) inputs.buildpacks = texts(value.buildpacks, 'provenance.buildpacks')
  if (value.env !== undefined) inputs.env = envNames(value.env)
  if (value.startedOn !== undefined) inputs.startedOn = time(value.startedOn, 'provenance.startedOn')
  if (value.finishedOn !== undefined) inputs.finishedOn = time(value.finishedOn, 'provenance.finishedOn')
  if (inputs.startedOn && inputs.finishedOn && Date.parse(inputs.finishedOn) < Date.parse(inputs.startedOn)) {
    throw broken(`provenance.finishedOn (${inputs.finishedOn}) is before startedOn (${inputs.startedOn})`)
  }

  if (value.source !== undefined) inputs.source = source(value.source)
  return inputs
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw broken(`${name} is not a non-empty string`)
  if (value.length > MAX_TEXT) throw broken(`${name} is longer than ${MAX_TEXT} characters`)
  return value
}

function texts(value: unknown, name: string): string[] {
  if (!Array.isArray(value)) throw broken(`${name} is not an array of strings`)
  if (value.length > MAX_ITEMS) throw broken(`${name} has more than ${MAX_ITEMS} entries`)
  return value.map((item, i) => text(item, `${name}[${i}]`))
}

/** Names only: an entry that looks like NAME=value is refused without quoting the value. */
function envNames(value: unknown): string[] {
  const names = texts(value, 'provenance.env')
  names.forEach((name, i) => {
    if (name.includes('=')) throw broken(`provenance.env[${i}] holds a value (NAME=…); pass the variable's name only, never its value`)
    if (!ENV_NAME.test(name)) throw broken(`provenance.env[${i}] is not an environment variable name`)
  })
  return names
}

function time(value: unknown, name: string): string {
  const stamp = text(value, name)
  if (!RFC3339.test(stamp) || Number.isNaN(Date.parse(stamp))) throw broken(`${name} is not an RFC 3339 time (e.g. 2026-11-30T12:00:00Z)`)
  return stamp
}

function source(value: unknown): {uri: string; commit?: string} {
  if (!isObject(value)) throw broken('provenance.source is not an object {uri, commit?}')
  const uri = text(value.uri, 'provenance.source.uri')
  if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(uri) && !/^git@\S+:\S+$/.test(uri)) throw broken('provenance.source.uri is not a repository URL (https://…, ssh://…, git@host:path)')
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(uri)) throw broken('provenance.source.uri carries a password; pass the URL without credentials')
  if (value.commit === undefined) return {uri}
  const commit = text(value.commit, 'provenance.source.commit')
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit)) throw broken('provenance.source.commit is not a full git commit id (40 or 64 lowercase hex)')
  return {uri, commit}
}

function broken(what: string): PluginError {
  return new PluginError('HOST_CONTRACT', `cannot sign: in what pack-ts build resolved, ${what}; that breaks ${CONTRACT}`)
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
