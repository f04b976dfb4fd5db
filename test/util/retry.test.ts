import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type Attempt, Deadline, backoff, isExhausted, retry} from '../../src/util/retry.js'

class Transient extends Error {}
const transient = (error: unknown) => error instanceof Transient
const quick = () => 1

describe('retry', () => {
  it('tries again after a retryable error, and returns the first success', async () => {
    let calls = 0
    const value = await retry(
      async () => {
        if (++calls < 3) throw new Transient('reset')
        return 'done'
      },
      {attempts: 4, retryError: transient, delay: quick},
    )
    assert.equal(value, 'done')
    assert.equal(calls, 3)
  })

  it('throws an error that is not retryable at once', async () => {
    let calls = 0
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Error('denied')
        },
        {attempts: 4, retryError: transient, delay: quick},
      ),
      /denied/,
    )
    assert.equal(calls, 1)
  })

  it('gives up after `attempts` tries and marks the failure, so an enclosing loop does not retry it again', async () => {
    let inner = 0
    let outer = 0
    await assert.rejects(
      retry(
        async () => {
          outer++
          return retry(
            async () => {
              inner++
              throw new Transient('reset')
            },
            {attempts: 4, retryError: transient, delay: quick},
          )
        },
        {attempts: 5, retryError: transient, delay: quick},
      ),
      (error: unknown) => error instanceof Transient && isExhausted(error),
    )
    // 4 tries, not 4 × 5.
    assert.equal(inner, 4)
    assert.equal(outer, 1)
  })

  it('a loop of one try marks nothing: the enclosing loop may start the whole over', async () => {
    let calls = 0
    await assert.rejects(
      retry(
        async () => {
          calls++
          return retry(
            async () => {
              throw new Transient('reset of a non-idempotent request')
            },
            {attempts: 1, retryError: transient},
          )
        },
        {attempts: 3, retryError: transient, delay: quick},
      ),
    )
    assert.equal(calls, 3)
  })

  it('starts no try once the deadline has passed, whatever the attempts left', async () => {
    let calls = 0
    const started = Date.now()
    await assert.rejects(
      retry(
        async () => {
          calls++
          await new Promise((resolve) => setTimeout(resolve, 40))
          throw new Transient('slow failure')
        },
        {attempts: 100, deadline: Deadline.in(200), retryError: transient, delay: quick, minTryMs: 1},
      ),
    )
    const elapsed = Date.now() - started
    assert.ok(elapsed < 400, `took ${elapsed} ms`)
    assert.ok(calls >= 3 && calls <= 6, `${calls} calls`)
  })

  it('does not wait past the deadline: a backoff that would cross it ends the retries', async () => {
    let calls = 0
    const started = Date.now()
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Transient('reset')
        },
        {attempts: 4, deadline: Deadline.in(500), retryError: transient, delay: () => 10_000},
      ),
    )
    assert.equal(calls, 1)
    assert.ok(Date.now() - started < 100)
  })

  it('an inner loop retries only within what is left of the enclosing deadline', async () => {
    let calls = 0
    const started = Date.now()
    await assert.rejects(
      retry(
        () =>
          retry(
            async () => {
              calls++
              await new Promise((resolve) => setTimeout(resolve, 30))
              throw new Transient('slow failure')
            },
            {attempts: 1000, deadline: Deadline.in(60_000), retryError: transient, delay: quick, minTryMs: 1},
          ),
        {attempts: 3, deadline: Deadline.in(150), retryError: transient, delay: quick},
      ),
    )
    const elapsed = Date.now() - started
    assert.ok(elapsed < 350, `took ${elapsed} ms`)
    assert.ok(calls <= 6, `${calls} calls`)
  })

  it('a first try always runs, even past the deadline', async () => {
    let calls = 0
    await retry(
      () =>
        retry(
          async () => {
            calls++
          },
          {attempts: 3},
        ),
      {attempts: 1, deadline: Deadline.in(-1)},
    )
    assert.equal(calls, 1)
  })

  it('cuts a retry’s timeout to the deadline, at any depth, but not a first pass nor a new round', async () => {
    const limits: {where: string; limit: number}[] = []
    const note = (where: string, attempt: Attempt) => limits.push({where, limit: attempt.limit(60_000)})
    await retry(
      async (outer) => {
        note(`outer ${outer.number}`, outer)
        await retry(
          async (inner) => {
            note(`inner ${inner.number} of outer ${outer.number}`, inner)
          },
          {attempts: 2},
        )
        if (outer.number === 1) throw new Transient('again')
      },
      {attempts: 2, deadline: Deadline.in(5000), retryError: transient, delay: quick},
    )
    const limit = (where: string) => limits.find((l) => l.where === where)!.limit
    assert.equal(limit('outer 1'), 60_000)
    assert.equal(limit('inner 1 of outer 1'), 60_000)
    assert.ok(limit('outer 2') <= 5000)
    assert.ok(limit('inner 1 of outer 2') <= 5000, 'a first try inside a retry is cut too')

    const rounds: number[] = []
    await retry(
      async (round) => {
        rounds.push(round.limit(60_000))
        return round.number < 3 ? 'again' : 'done'
      },
      {kind: 'rounds', attempts: 3, deadline: Deadline.in(5000), retryResult: (r) => r === 'again', delay: quick},
    )
    assert.deepEqual(rounds, [60_000, 60_000, 60_000])
  })

  it('retries a result (a 503 answer) and returns the last one, marked, when tries run out', async () => {
    let calls = 0
    const answer = await retry(
      async () => {
        calls++
        return {status: 503}
      },
      {attempts: 3, retryResult: (r) => r.status === 503, delay: quick},
    )
    assert.equal(answer.status, 503)
    assert.equal(calls, 3)
    assert.ok(isExhausted(answer))
  })

  it('an abort ends the wait and the retries', async () => {
    const controller = new AbortController()
    let calls = 0
    const started = Date.now()
    setTimeout(() => controller.abort(), 50)
    await assert.rejects(
      retry(
        async () => {
          calls++
          throw new Transient('reset')
        },
        {attempts: 5, retryError: transient, delay: () => 5000, signal: controller.signal},
      ),
    )
    assert.equal(calls, 1)
    assert.ok(Date.now() - started < 1000)
  })

  it('backs off exponentially with jitter', () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const base = 100 * 2 ** (attempt - 1)
      const delay = backoff(attempt)
      assert.ok(delay >= base && delay <= 2 * base, `${attempt}: ${delay}`)
    }
  })
})
