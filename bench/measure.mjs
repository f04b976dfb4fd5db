// Runs one command as a child process under GNU time: wall time (ms, measured here) and peak
// RSS (KiB, from the kernel's accounting via time -f %M).
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const scratch = mkdtempSync(join(tmpdir(), 'bench-time-'))
let counter = 0

export async function measure(command, args, env = {}) {
  const out = join(scratch, `t${counter++}`)
  const started = process.hrtime.bigint()
  const {code, stderr} = await new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', out, command, ...args], {
      env: {...process.env, ...env},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (c) => resolve({code: c, stderr: err}))
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (code !== 0) throw new Error(`${command} ${args.slice(0, 3).join(' ')} … exited ${code}: ${stderr.slice(-500)}`)
  const rssKiB = Number(readFileSync(out, 'utf8').trim().split('\n').at(-1))
  rmSync(out, {force: true})
  return {ms, rssKiB}
}

export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return {median, min: sorted[0], max: sorted.at(-1), n: sorted.length}
}
