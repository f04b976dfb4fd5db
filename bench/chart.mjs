// An SVG line chart of wall time against image count for both tools (log–log axes, so 1 and 500
// images share one picture), written next to results.json.
const W = 640
const H = 400
const M = {left: 70, right: 130, top: 40, bottom: 50}

/** points: [{images, ours, cosign}] with times in ms. */
export function renderChart(points, title) {
  const xs = points.map((p) => p.images)
  const ys = points.flatMap((p) => [p.ours, p.cosign])
  const x = logScale(Math.min(...xs), Math.max(...xs), M.left, W - M.right)
  const yTicks = decades(Math.min(...ys), Math.max(...ys))
  const y = logScale(yTicks[0], yTicks.at(-1), H - M.bottom, M.top)
  const line = (key, colour, label) => {
    const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.images).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ')
    const dots = points.map((p) => `<circle cx="${x(p.images).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="3" fill="${colour}"><title>${label}, ${p.images} images: ${Math.round(p[key])} ms</title></circle>`).join('')
    const last = points.at(-1)
    return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${dots}<text x="${x(last.images) + 8}" y="${y(last[key]) + 4}" fill="${colour}">${label}</text>`
  }

  const xAxis = xs.map((v) => `<line x1="${x(v)}" x2="${x(v)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/><text x="${x(v)}" y="${H - M.bottom + 18}" text-anchor="middle">${v}</text>`).join('')
  const yAxis = yTicks.map((v) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`).join('')
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${M.left}" y="20" font-size="14">${escape(title)}</text>
${xAxis}${yAxis}
<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">images signed in one call</text>
${line('cosign', '#c0392b', 'cosign 2.5')}
${line('ours', '#2266bb', 'pack-ts sign')}
</svg>
`
}

function logScale(lo, hi, from, to) {
  const span = Math.log(hi) - Math.log(lo) || 1
  return (v) => from + ((Math.log(v) - Math.log(lo)) / span) * (to - from)
}

/** 1-2-5 ticks covering [lo, hi]. */
function decades(lo, hi) {
  const ticks = []
  for (let decade = 10 ** Math.floor(Math.log10(lo)); decade <= hi * 10; decade *= 10) {
    for (const m of [1, 2, 5]) ticks.push(m * decade)
  }

  const first = ticks.findLastIndex((t) => t <= lo)
  const last = ticks.findIndex((t) => t >= hi)
  return ticks.slice(Math.max(first, 0), last + 1)
}

function escape(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
}
