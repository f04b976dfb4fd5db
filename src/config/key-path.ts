// A position inside a parsed TOML document: table keys and array indexes, e.g.
// ['configs', 1, 'export-sbom']. Shared by the validators (to name what is wrong) and the line
// scanner (to say where it is).

export type KeyPath = readonly (string | number)[]

const BARE_KEY = /^[A-Za-z0-9_-]+$/

/** How a path reads in messages: `configs[1].export-sbom`. */
export function showPath(path: KeyPath): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += (out === '' ? '' : '.') + (BARE_KEY.test(part) ? part : JSON.stringify(part))
  }

  return out
}

/** A map key for a path; unambiguous even when keys contain dots or brackets. */
export function pathId(path: KeyPath): string {
  return JSON.stringify(path)
}
