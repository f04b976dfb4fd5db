import {PluginError} from '../errors.js'
import {NOT_AN_OBJECT, validateJsonObject} from './json-validate.js'
import type {SbomFormat} from './formats.js'
import {limitExceeded, type SbomLimits} from './limits.js'
import {matchSbomPath, normalisePath, type SbomPathMatch} from './paths.js'
import type {TarEntry, TarVisitor} from './tar-reader.js'

/** One SBOM document from the layer, with what cosign needs to publish it. */
export interface SbomDocument {
  /** Normalised path in the layer, e.g. `layers/sbom/launch/paketo-buildpacks_node-engine/sbom.cdx.json`. */
  path: string
  /** Buildpack directory as written in the layer: the buildpack id with `/` replaced by `_`. */
  buildpack: string
  /** Layer name, for documents at `<buildpack>/<layer>/sbom.<ext>`. */
  layer?: string
  format: SbomFormat
  /** Media type of a cosign `.sbom` attachment. */
  mediaType: string
  /** in-toto predicate type of a cosign attestation. */
  predicateType: string
  /** The document's exact bytes: valid UTF-8 JSON whose top level is an object. */
  content: Buffer
}

/** An entry that looked like it belonged to the SBOM but was left out, and why. */
export interface SbomNote {
  path: string
  reason: string
}

/**
 * The tar visitor that picks SBOM documents out of the layer. It asks for the contents of SBOM
 * files only (checking the per-document limit against the header size before buffering a byte),
 * and reports skipped suspicious entries through `onNote` instead of failing: the lifecycle never
 * writes them, they are never written to disk here, and the signature still covers the image.
 */
export class SbomCollector implements TarVisitor {
  private readonly found = new Map<string, {match: SbomPathMatch; content: Buffer}>()
  private readonly matches = new WeakMap<TarEntry, SbomPathMatch>()

  constructor(
    private readonly limits: SbomLimits,
    private readonly onNote: (note: SbomNote) => void = () => {},
  ) {}

  entry(entry: TarEntry): boolean {
    const normalised = normalisePath(entry.path)
    if (!normalised.ok) {
      this.onNote({path: entry.path, reason: `skipped: ${normalised.reason}`})
      return false
    }

    const match = matchSbomPath(normalised.segments)
    if (!match) return false
    if (entry.type !== 'file') {
      // A symlink or hard link could point anywhere in the image; only real files are documents.
      this.onNote({path: match.path, reason: `skipped: a ${entry.type} (typeflag '${entry.typeflag}'), not a regular file`})
      this.found.delete(match.path) // a later entry replaces an earlier one, as when extracting
      return false
    }

    if (entry.size > this.limits.maxDocumentBytes) {
      throw limitExceeded(this.limits, 'maxDocumentBytes', `the SBOM document ${match.path} (${entry.size} bytes)`)
    }

    this.matches.set(entry, match)
    return true
  }

  content(entry: TarEntry, data: Buffer): void {
    const match = this.matches.get(entry)
    if (match) this.found.set(match.path, {match, content: data})
  }

  /** The documents, sorted by path, each checked to be a JSON object. */
  documents(): SbomDocument[] {
    return [...this.found.values()]
      .sort((a, b) => (a.match.path < b.match.path ? -1 : a.match.path > b.match.path ? 1 : 0))
      .map(({match, content}) => {
        checkJsonObject(match.path, content)
        const document: SbomDocument = {
          path: match.path,
          buildpack: match.buildpack,
          format: match.info.format,
          mediaType: match.info.mediaType,
          predicateType: match.info.predicateType,
          content,
        }
        if (match.layer !== undefined) document.layer = match.layer
        return document
      })
  }
}

/**
 * CycloneDX, SPDX and Syft documents are JSON objects; cosign also needs one for a predicate
 * given by URI (it unmarshals into a map), so anything else would fail later, further from here.
 * Validated without parsing: a parsed 50 MiB SBOM would cost several hundred MiB.
 */
function checkJsonObject(path: string, content: Buffer): void {
  const problem = validateJsonObject(content)
  if (problem?.startsWith(NOT_AN_OBJECT)) throw new PluginError('SBOM_INVALID', `the SBOM document ${path} is not a JSON object`)
  if (problem) throw new PluginError('SBOM_INVALID', `the SBOM document ${path} is not valid JSON (${problem})`)
}
