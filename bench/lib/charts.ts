export interface Chart {
  /** File name under docs/bench/. */
  file: string
  title: string
  unit: string
  /** Rows of the chart: each compares Tandem with its baseline on one figure. */
  groups: { label: string; bars: { series: string; value: number }[] }[]
}

const WIDTH = 680
const LABEL_WIDTH = 170
const VALUE_WIDTH = 110
const BAR_HEIGHT = 16
const BAR_GAP = 4
const GROUP_GAP = 14
const TOP = 52
const COLORS = ['#2f6db5', '#a0a9b4', '#d08a2c', '#5a9b5a']

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const formatValue = (value: number) =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : value >= 10 ? value.toFixed(1) : value.toFixed(2)

/** A horizontal grouped bar chart as a standalone SVG document, with no dependencies. */
export function renderChart(chart: Chart): string {
  const series = [...new Set(chart.groups.flatMap((g) => g.bars.map((b) => b.series)))]
  const color = (name: string) => COLORS[series.indexOf(name) % COLORS.length]!
  const max = Math.max(
    ...chart.groups.flatMap((g) => g.bars.map((b) => b.value)).filter(Number.isFinite),
    1e-9,
  )
  const barArea = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const parts: string[] = []
  let y = TOP
  for (const group of chart.groups) {
    const height = group.bars.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP
    parts.push(
      `<text x="${LABEL_WIDTH - 10}" y="${y + height / 2 + 4}" text-anchor="end" class="label">${escapeXml(group.label)}</text>`,
    )
    for (const bar of group.bars) {
      const value = Number.isFinite(bar.value) ? bar.value : 0
      const w = Math.max(1, (value / max) * barArea)
      parts.push(
        `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${color(bar.series)}"><title>${escapeXml(`${bar.series}: ${formatValue(value)} ${chart.unit}`)}</title></rect>`,
        `<text x="${(LABEL_WIDTH + w + 6).toFixed(1)}" y="${y + BAR_HEIGHT - 4}" class="value">${formatValue(value)} ${escapeXml(chart.unit)}</text>`,
      )
      y += BAR_HEIGHT + BAR_GAP
    }
    y += GROUP_GAP - BAR_GAP
  }
  const legend = series
    .map((name, i) => {
      const x = LABEL_WIDTH + i * 200
      return `<rect x="${x}" y="30" width="12" height="12" fill="${color(name)}"/><text x="${x + 18}" y="40" class="value">${escapeXml(name)}</text>`
    })
    .join('')
  const height = y + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(chart.title)}">`,
    '<style>text{font:12px sans-serif;fill:#222}.title{font-weight:bold;font-size:14px}.label{font-size:12px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" class="title">${escapeXml(chart.title)}</text>`,
    legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
