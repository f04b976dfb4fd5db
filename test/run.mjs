// Runs every compiled test file with node's test runner. Test files are compiled by `pretest`
// (tsc -p test) into .cache/test-build; pass paths or name fragments to run a subset:
//   npm test -- registry   (files whose path contains "registry")
// `--unit` keeps the files that need no registry and no cosign (npm run test:unit): what a test
// file starts is read from its source, so a new file lands in the right tier by itself.
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {spawnSync} from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const built = join(root, '.cache/test-build/test')

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.js') ? [path] : []
  })
}

const unit = process.argv.includes('--unit')
const filters = process.argv.slice(2).filter((x) => x !== '--unit')
// Anything that starts a registry, a cosign binary, SoftHSM, or the test host with its system pieces.
const NEEDS_SYSTEM = /startRegistry|runCosign|cosignBin|cosign3|\bcosign\(|installPlugin|tmux|htpasswd|bench\/run|'bench'|createSoftHsm/
const source = (f) => join(root, 'test', relative(built, f).replace(/\.js$/, '.ts'))
const files = walk(built)
  .filter((f) => existsSync(source(f))) // a compiled test whose source was moved or removed
  .filter((f) => filters.length === 0 || filters.some((x) => relative(built, f).includes(x)))
  .filter((f) => !unit || !NEEDS_SYSTEM.test(readFileSync(source(f), 'utf8')))
  .sort()
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`)
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {stdio: 'inherit'})
process.exit(result.status ?? 1)
