import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {sleep} from '../../src/util/sleep.js'
import {pauseWork, WorkSlots} from '../../src/util/work-slots.js'

describe('WorkSlots', () => {
  it('keeps at most `limit` tasks at work', async () => {
    const slots = new WorkSlots(3)
    let working = 0
    let most = 0
    await Promise.all(
      Array.from({length: 12}, () =>
        slots.run(async () => {
          most = Math.max(most, ++working)
          await sleep(5)
          working--
        }),
      ),
    )
    assert.equal(most, 3)
  })

  it('lends the slot of a pausing task to the next one, and gives it back first to the task that paused', async () => {
    const slots = new WorkSlots(1)
    const events: string[] = []
    const first = slots.run(async () => {
      events.push('a works')
      await pauseWork(30)
      events.push('a resumes')
    })
    const second = slots.run(async () => {
      events.push('b works')
      await sleep(60) // holds the only slot while a's pause ends
      events.push('b done')
    })
    const third = slots.run(async () => {
      events.push('c works')
    })
    await Promise.all([first, second, third])
    assert.deepEqual(events, ['a works', 'b works', 'b done', 'a resumes', 'c works'])
  })

  it('outside run, pauseWork is a plain wait', async () => {
    const started = Date.now()
    await pauseWork(20)
    assert.ok(Date.now() - started >= 19)
  })
})
