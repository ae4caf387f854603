import type { RssSample } from '../proc.ts';

/**
 * A two-panel SVG: throughput ratios (b/a, c/a) per payload and connection count, and the RSS of
 * the gate and of the pipe proxy while 8 MiB frames stream. Hand-written SVG: no chart library,
 * nothing fetched, readable in any browser or on GitHub.
 */

export interface RatioGroup {
  label: string;
  gateToDirect: number;
  pipeToDirect: number;
}

export interface RssSeries {
  label: string;
  colour: string;
  samples: readonly RssSample[];
}

const GATE_COLOUR = '#1f6fb2';
const PIPE_COLOUR = '#d9822b';
export const SERIES_COLOURS = { gate: GATE_COLOUR, pipe: PIPE_COLOUR } as const;

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}" ${attributes}>${escapeXml(content)}</text>`;
}

function line(x1: number, y1: number, x2: number, y2: number, attributes: string): string {
  return `<line x1="${fmt(x1)}" y1="${fmt(y1)}" x2="${fmt(x2)}" y2="${fmt(y2)}" ${attributes}/>`;
}

interface Frame {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Axis, ticks and horizontal reference lines for a panel whose y runs from 0 to `max`. */
function yAxis(frame: Frame, max: number, ticks: readonly number[], unit: string): string[] {
  const out = [line(frame.x, frame.y, frame.x, frame.y + frame.height, 'stroke="#333"'), line(frame.x, frame.y + frame.height, frame.x + frame.width, frame.y + frame.height, 'stroke="#333"')];
  for (const tick of ticks) {
    const y = frame.y + frame.height - (tick / max) * frame.height;
    out.push(line(frame.x - 4, y, frame.x + frame.width, y, 'stroke="#ddd"'));
    out.push(text(frame.x - 6, y + 4, `${Math.round(tick * 100) / 100}${unit}`, 'text-anchor="end" font-size="11"'));
  }
  return out;
}

/** A dashed target line, labelled just right of the plot where no bar or curve can cover it. */
function referenceLine(frame: Frame, max: number, value: number, label: string): string[] {
  const y = frame.y + frame.height - (value / max) * frame.height;
  return [
    line(frame.x, y, frame.x + frame.width, y, 'stroke="#c0392b" stroke-dasharray="5,4"'),
    text(frame.x + frame.width + 4, y + 4, label, 'font-size="11" fill="#c0392b"'),
  ];
}

function niceTicks(max: number, count: number): number[] {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Math.round(t * 1000) / 1000);
  return ticks;
}

function ratioPanel(frame: Frame, groups: readonly RatioGroup[]): string[] {
  const values = groups.flatMap((g) => [g.gateToDirect, g.pipeToDirect]).filter(Number.isFinite);
  // Headroom above the tallest bar for the legend.
  const max = Math.max(1.2, ...values) * 1.3;
  const out = [
    text(frame.x, frame.y - 14, 'Throughput relative to nginx → Orthanc direct (a)', 'font-size="13" font-weight="bold"'),
    ...yAxis(frame, max, niceTicks(max, 6), ''),
    ...referenceLine(frame, max, 0.9, 'target'),
  ];
  const groupWidth = frame.width / Math.max(1, groups.length);
  const barWidth = Math.min(28, groupWidth / 3);
  groups.forEach((group, index) => {
    const centre = frame.x + groupWidth * (index + 0.5);
    const bars: Array<[number, string]> = [
      [group.gateToDirect, GATE_COLOUR],
      [group.pipeToDirect, PIPE_COLOUR],
    ];
    bars.forEach(([value, colour], i) => {
      if (!Number.isFinite(value)) return;
      const height = (value / max) * frame.height;
      const x = centre - barWidth + i * barWidth;
      out.push(`<rect x="${fmt(x)}" y="${fmt(frame.y + frame.height - height)}" width="${fmt(barWidth - 2)}" height="${fmt(height)}" fill="${colour}"/>`);
      out.push(text(x + barWidth / 2 - 1, frame.y + frame.height - height - 3, value.toFixed(2), 'text-anchor="middle" font-size="10"'));
    });
    const [first, second] = group.label.split('\n');
    out.push(text(centre, frame.y + frame.height + 15, first ?? '', 'text-anchor="middle" font-size="11"'));
    if (second) out.push(text(centre, frame.y + frame.height + 28, second, 'text-anchor="middle" font-size="11"'));
  });
  out.push(`<rect x="${fmt(frame.x + 8)}" y="${fmt(frame.y + 4)}" width="10" height="10" fill="${GATE_COLOUR}"/>`);
  out.push(text(frame.x + 22, frame.y + 13, '(b) gate, X-Accel-Redirect ÷ (a); target (b) ≥ 0.9 (a)', 'font-size="11"'));
  out.push(`<rect x="${fmt(frame.x + 8)}" y="${fmt(frame.y + 20)}" width="10" height="10" fill="${PIPE_COLOUR}"/>`);
  out.push(text(frame.x + 22, frame.y + 29, '(c) Node pipe proxy ÷ (a)', 'font-size="11"'));
  return out;
}

function rssPanel(frame: Frame, series: readonly RssSeries[], limitMiB: number): string[] {
  const all = series.flatMap((s) => s.samples);
  const maxT = Math.max(1, ...all.map((s) => s.t));
  const max = Math.max(limitMiB * 1.15, ...all.map((s) => s.rssMiB)) * 1.3;
  const out = [
    text(frame.x, frame.y - 14, 'RSS while 8 MiB frames stream, 64 connections', 'font-size="13" font-weight="bold"'),
    ...yAxis(frame, max, niceTicks(max, 6), ''),
    ...referenceLine(frame, max, limitMiB, '120 MB'),
    text(frame.x - 40, frame.y - 2, 'MiB', 'font-size="11"'),
  ];
  for (const tick of niceTicks(maxT, 6)) {
    const x = frame.x + (tick / maxT) * frame.width;
    out.push(text(x, frame.y + frame.height + 15, `${fmt(tick)} s`, 'text-anchor="middle" font-size="11"'));
  }
  series.forEach((s, index) => {
    const points = s.samples.map((p) => `${fmt(frame.x + (p.t / maxT) * frame.width)},${fmt(frame.y + frame.height - (p.rssMiB / max) * frame.height)}`);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    out.push(`<rect x="${fmt(frame.x + 8)}" y="${fmt(frame.y + 4 + index * 16)}" width="10" height="10" fill="${s.colour}"/>`);
    out.push(text(frame.x + 22, frame.y + 13 + index * 16, s.label, 'font-size="11"'));
  });
  return out;
}

export function benchChart(options: { title: string; ratios: readonly RatioGroup[]; rss: readonly RssSeries[]; rssLimitMiB: number }): string {
  const width = 1000;
  const height = 380;
  const body = [
    `<rect width="${width}" height="${height}" fill="white"/>`,
    text(20, 22, options.title, 'font-size="14" font-weight="bold"'),
    ...ratioPanel({ x: 60, y: 70, width: 380, height: 250 }, options.ratios),
    ...rssPanel({ x: 560, y: 70, width: 380, height: 250 }, options.rss, options.rssLimitMiB),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif">\n${body.join('\n')}\n</svg>\n`;
}
