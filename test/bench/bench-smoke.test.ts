import assert from 'node:assert/strict'
import {join} from 'node:path'
import {it} from 'node:test'

import {repoRoot} from '../helpers/paths.js'
import {run} from '../helpers/run.js'

/** The benchmark is a script, not a test; this only proves it still runs end to end (tiny N). */
it('npm run bench still runs (--quick: tiny N, no targets asserted, nothing written)', async () => {
  const result = await run(process.execPath, [join(repoRoot, 'bench', 'run.mjs'), '--quick'], {timeoutMs: 180_000})
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /\| sign 1 image, whole process \| ≤ 1\.5× \| \d+ ms/)
  assert.match(result.stdout, /HTTP requests per signature \(1 fresh image\) \| ≤ 7 \| \d/)
})
