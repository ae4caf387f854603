import { z } from 'zod';

/** The parts of V8's .cpuprofile (written by `node --cpu-prof`) this summary reads. */
const CpuProfileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

/** Part of a profile to summarise, in microseconds before its end (the process's exit). */
export interface ProfileWindow {
  fromMicrosBeforeEnd: number;
  toMicrosBeforeEnd: number;
}

export interface ProfileEntry {
  name: string;
  /** Share of the sampled time, percent. */
  percent: number;
  ms: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Where the time went by area: the gate's code, each package, Node internals, GC, idle. */
  byArea: ProfileEntry[];
  /** Functions by self time (the code that was running). */
  topSelf: ProfileEntry[];
  /** The gate's own functions by inclusive time (including what they call). */
  gateInclusive: ProfileEntry[];
}

/** The area a frame's URL belongs to: `proxy-server`, an npm package, `node:*`, or a V8 pseudo-frame. */
export function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (/\/proxy-server\/(src|dist)\//.test(url)) return 'proxy-server';
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

function frameLabel(callFrame: { functionName: string; url: string; lineNumber: number }): string {
  const file = callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/(node_modules|proxy-server)\//, '$1/');
  const name = callFrame.functionName || '(anonymous)';
  return file ? `${name} ${file}:${callFrame.lineNumber + 1}` : name;
}

function top(map: Map<string, number>, totalMicros: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, micros]) => ({ name, percent: Math.round((micros / totalMicros) * 1000) / 10, ms: Math.round(micros / 100) / 10 }));
}

/**
 * Self and inclusive time from a .cpuprofile. `(idle)` is left out of the shares, and so is
 * everything outside `window` (start-up and shutdown, when given).
 */
export function summariseCpuProfile(json: unknown, options: { count?: number; window?: ProfileWindow } = {}): ProfileSummary {
  const count = options.count ?? 20;
  const profile = CpuProfileSchema.parse(json);
  const from = options.window ? profile.endTime - options.window.fromMicrosBeforeEnd : -Infinity;
  const to = options.window ? profile.endTime - options.window.toMicrosBeforeEnd : Infinity;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)' || at < from || at > to) return;
    total += delta;
    const label = frameLabel(node.callFrame);
    self.set(label, (self.get(label) ?? 0) + delta);
    const where = areaOf(node.callFrame.url, node.callFrame.functionName);
    area.set(where, (area.get(where) ?? 0) + delta);
    // Each gate function counts once per sample, however often it recurs on the stack.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)?.callFrame;
      if (!frame || !/\/proxy-server\/(src|dist)\//.test(frame.url)) continue;
      const key = frameLabel(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
    }
  });
  return { totalMs: Math.round(total / 1000), byArea: top(area, total, count), topSelf: top(self, total, count), gateInclusive: top(inclusive, total, count) };
}
