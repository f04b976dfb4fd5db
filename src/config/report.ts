import {Locations} from './locations.js'
import {Problems} from './problems.js'
import {readConfigText} from './read-file.js'
import {parseToml, stripBom} from './toml.js'
import type {Report} from './types.js'
import {type Table, describe, isTable, quoteOrDescribe} from './values.js'

const DIGEST = /^sha256:[0-9a-f]{64}$/
const TAG_EXAMPLE = '"registry/repo:tag"'

/**
 * Parses the exporter's report.toml. Unknown keys are tolerated (newer lifecycles add fields) but
 * the known ones must have the right types. An image exported to a daemon has no digest and
 * cannot be signed: that is refused with advice to build with --publish.
 */
export function parseReport(text: string, file: string): Report {
  const source = stripBom(text)
  const doc = parseToml(source, file)
  const problems = new Problems(file, Locations.scan(source))

  if (doc.build !== undefined && !isTable(doc.build)) {
    // [build] holds only the legacy [[build.bom]]; its contents are ignored, its shape is not.
    problems.add(['build'], `build is ${describe(doc.build)}; expected the [build] table`)
  }

  const image = doc.image
  if (!isTable(image)) {
    return image === undefined
      ? problems.fatal(undefined, "no [image] table; expected the exporter's report with image.tags and image.digest")
      : problems.fatal(['image'], `image is ${describe(image)}; expected the [image] table`)
  }

  const tags = readTags(image, problems)
  const digest = readDigest(image, problems)
  const manifestSize = readManifestSize(image, problems)
  if (image['image-id'] !== undefined && typeof image['image-id'] !== 'string') {
    problems.add(['image', 'image-id'], `image.image-id is ${describe(image['image-id'])}; expected a string`)
  }

  problems.throwIfAny()
  return manifestSize === undefined ? {tags, digest, file} : {tags, digest, manifestSize, file}
}

export async function readReport(path: string): Promise<Report> {
  return parseReport(await readConfigText(path, 'report'), path)
}

/** Non-empty strings without whitespace; parsing them as references is the caller's job. */
function readTags(image: Table, problems: Problems): string[] {
  const tags = image.tags
  if (tags === undefined) {
    problems.add(['image'], 'image has no "tags" (the tag references the image was exported to)')
    return []
  }

  if (!Array.isArray(tags)) {
    problems.add(['image', 'tags'], `image.tags is ${describe(tags)}; expected an array of tag references like [${TAG_EXAMPLE}]`)
    return []
  }

  if (tags.length === 0) {
    problems.add(['image', 'tags'], `image.tags is empty; expected at least one tag reference like ${TAG_EXAMPLE}`)
  }

  for (const [i, tag] of tags.entries()) {
    if (typeof tag !== 'string') {
      problems.add(['image', 'tags', i], `image.tags[${i}] is ${describe(tag)}; expected a tag reference like ${TAG_EXAMPLE}`)
    } else if (tag === '' || /\s/.test(tag)) {
      problems.add(['image', 'tags', i], `image.tags[${i}] is ${JSON.stringify(tag)}; a tag reference cannot be empty or contain spaces`)
    }
  }

  return tags as string[]
}

function readDigest(image: Table, problems: Problems): string {
  const digest = image.digest
  if (digest === undefined) {
    problems.add(undefined, 'the image was exported to a daemon (no image.digest); signing needs a registry export — build with --publish')
    return ''
  }

  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    problems.add(['image', 'digest'], `image.digest is ${quoteOrDescribe(digest)}; expected sha256:<64 lowercase hex digits>`)
    return ''
  }

  return digest
}

/** The platform spec shows manifest-size as a string, the lifecycle writes an integer: take both. */
function readManifestSize(image: Table, problems: Problems): number | undefined {
  const size = image['manifest-size']
  if (size === undefined) return undefined
  const n = typeof size === 'number' ? size : typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : Number.NaN
  if (Number.isSafeInteger(n) && n >= 0) return n
  problems.add(
    ['image', 'manifest-size'],
    `image.manifest-size is ${quoteOrDescribe(size)}; expected a size in bytes (an integer, or a string of digits)`,
  )
  return undefined
}
