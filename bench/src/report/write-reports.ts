import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchResults } from '../results.ts';
import { SERIES_COLOURS, benchChart, type RatioGroup, type RssSeries } from './chart.ts';
import { resultsSection } from './markdown.ts';
import { RSS_LIMIT_MIB } from './targets.ts';

const RESULTS_HEADER = `# Benchmark results

Appended by \`npm run bench\` (see [README.md](README.md) for what each benchmark does and how to
read it). Each section is one run on the machine it names; compare ratios measured in the same run,
not absolute figures across runs or machines.
`;

const PAYLOAD_LABEL = { 'htj2k-512': 'HTJ2K 512²', 'raw-2048': '8 MiB raw' } as const;

function chartFor(results: BenchResults): string | null {
  const ratios: RatioGroup[] = (results.overhead?.summary ?? []).map((row) => ({
    label: `${PAYLOAD_LABEL[row.payload]}\n${row.connections} conns`,
    gateToDirect: row.ratioGateToDirect,
    pipeToDirect: row.ratioPipeToDirect,
  }));
  const first = (variant: 'gate' | 'pipe') => results.memory?.runs.find((run) => run.variant === variant && run.valid);
  const rss: RssSeries[] = [];
  const gate = first('gate');
  const pipe = first('pipe');
  if (gate) rss.push({ label: '(b) proxy-server (X-Accel-Redirect)', colour: SERIES_COLOURS.gate, samples: gate.rss });
  if (pipe) rss.push({ label: '(c) Node pipe proxy', colour: SERIES_COLOURS.pipe, samples: pipe.rss });
  if (ratios.length === 0 && rss.length === 0) return null;
  return benchChart({ title: `Reading Station gate benchmarks, ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC`, ratios, rss, rssLimitMiB: RSS_LIMIT_MIB });
}

function stampOf(results: BenchResults): string {
  return `${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}${results.quick ? '-quick' : ''}`;
}

/** Draws the chart of a results file again (after a change to the chart); returns the file, if any. */
export function writeChart(results: BenchResults, benchDir: string): string | null {
  const chart = chartFor(results);
  if (!chart) return null;
  const file = path.join(benchDir, 'results', `${stampOf(results)}.svg`);
  writeFileSync(file, chart);
  return file;
}

/**
 * bench/results/<stamp>.json (everything measured), <stamp>.svg (the chart) and, for recorded
 * runs, a section appended to bench/RESULTS.md. Quick runs are marked in their file names.
 */
export function writeReports(results: BenchResults, options: { benchDir: string; record: boolean }): string[] {
  const dir = path.join(options.benchDir, 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = stampOf(results);
  const written: string[] = [];
  const json = path.join(dir, `${stamp}.json`);
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  written.push(json);
  const chart = chartFor(results);
  const svg = chart ? path.join(dir, `${stamp}.svg`) : null;
  if (svg && chart) {
    writeFileSync(svg, chart);
    written.push(svg);
  }
  const relative = (file: string): string => path.relative(options.benchDir, file);
  const section = resultsSection(results, { json: relative(json), svg: svg ? relative(svg) : null });
  if (options.record) {
    const file = path.join(options.benchDir, 'RESULTS.md');
    if (!existsSync(file)) writeFileSync(file, RESULTS_HEADER);
    appendFileSync(file, `\n${section}`);
    written.push(file);
  } else {
    const file = path.join(dir, `${stamp}.md`);
    writeFileSync(file, section);
    written.push(file);
  }
  return written;
}
