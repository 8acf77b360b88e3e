// Minimal SVG line charts for simulation reports (no dependencies): series of (x, y) points
// with axes, ticks and a legend, sized for a paper column.
export interface Series { name: string; points: Array<[number, number]> }

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const nice = (v: number) => { const e = 10 ** Math.floor(Math.log10(Math.max(v, 1e-9))); return [1, 2, 5, 10].map((m) => m * e).find((x) => x >= v)!; };

export function lineChart(o: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const W = o.width ?? 520, H = o.height ?? 320, L = 60, R = 130, T = 36, B = 48;
  const pts = o.series.flatMap((s) => s.points);
  const xMax = nice(Math.max(1, ...pts.map((p) => p[0]))), yMax = nice(Math.max(1, ...pts.map((p) => p[1])));
  const x = (v: number) => L + (v / xMax) * (W - L - R), y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
  const ticks = (max: number) => [0, 0.25, 0.5, 0.75, 1].map((f) => +(f * max).toPrecision(3));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2 - R / 2}" y="18" text-anchor="middle" font-size="13">${esc(o.title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`,
    ...ticks(xMax).map((v) => `<line x1="${x(v)}" y1="${H - B}" x2="${x(v)}" y2="${H - B + 4}" stroke="#000"/><text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${v}</text>`),
    ...ticks(yMax).map((v) => `<line x1="${L - 4}" y1="${y(v)}" x2="${L}" y2="${y(v)}" stroke="#000"/><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/><text x="${L - 7}" y="${y(v) + 4}" text-anchor="end">${v}</text>`),
    `<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  ];
  o.series.forEach((s, k) => {
    const c = colours[k % colours.length]!;
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${sorted.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
    parts.push(...sorted.map(([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="2.5" fill="${c}"/>`));
    parts.push(`<rect x="${W - R + 12}" y="${T + 16 * k}" width="10" height="10" fill="${c}"/><text x="${W - R + 27}" y="${T + 9 + 16 * k}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
