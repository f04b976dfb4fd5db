// `npm run lint` step: every import in src/ goes down the floors of docs/architecture.md, never up
// or sideways into another folder of the same floor. (Entering a folder through its index.ts is
// the habit, not a rule: keyless/ is entered file by file where its index would load sigstore.)
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

const FLOORS = [
  ['commands', 'hooks'],
  ['cli'],
  ['ui'],
  ['signer'],
  ['verify'],
  ['keyless', 'provenance'],
  ['formats', 'sbom'],
  ['registry'],
  ['auth', 'config', 'keys'],
  ['http', 'reference'],
  ['util', 'errors.ts', 'index.ts'],
]
const root = resolve(new URL('..', import.meta.url).pathname, 'src')
const floorOf = new Map(FLOORS.flatMap((names, i) => names.map((name) => [name, FLOORS.length - i])))

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
const top = (path) => relative(root, path).split('/')[0]

const problems = []
for (const file of files(root)) {
  const from = top(file)
  if (!floorOf.has(from)) problems.push(`${relative(root, file)}: src/${from} is on no floor; add it to scripts/check-layers.mjs and docs/architecture.md`)
  const text = readFileSync(file, 'utf8')
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), match[1]).replace(/\.js$/, '.ts')
    const to = top(target)
    if (to === from || file.endsWith('src/index.ts')) continue
    const where = `${relative(root, file)} imports ${match[1]}`
    if (!((floorOf.get(to) ?? 0) < (floorOf.get(from) ?? 0))) problems.push(`${where}: src/${to} is not below src/${from}`)
  }
}
if (problems.length > 0) {
  console.error(problems.join('\n'))
  console.error(`${problems.length} import(s) break the layer order (docs/architecture.md)`)
  process.exit(1)
}
console.log(`layers: ${files(root).length} files, every import goes down`)
