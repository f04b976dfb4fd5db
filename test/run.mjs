// Runs every compiled test file with node's test runner. Test files are compiled by `pretest`
// (tsc -p test) into .cache/test-build; pass paths or name fragments to run a subset:
//   npm test -- registry   (files whose path contains "registry")
import {readdirSync, statSync} from 'node:fs'
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

const filters = process.argv.slice(2)
const files = walk(built)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(built, f).includes(x)))
  .sort()
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(' ')}`)
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], {stdio: 'inherit'})
process.exit(result.status ?? 1)
