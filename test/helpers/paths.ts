import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repo root, whether running from test/ sources or the compiled .cache/test-build. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return dir
}

export const repoRoot = findRoot()
export const cliBin = join(repoRoot, 'bin', 'run.js')
export const cosignBin = join(repoRoot, '.cache', 'cosign', 'usr', 'bin', 'cosign')
/** Debian forky's cosign 3.1, unpacked by test/setup/deps.sh next to trixie's 2.5. */
export const cosign3Bin = join(repoRoot, '.cache', 'cosign3', 'usr', 'bin', 'cosign')

export function cosign3Path(): string {
  return cosign3Bin
}
