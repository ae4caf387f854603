// Adds up the runners' JSON reports into one closing line, `tests: N passed, N failed, N skipped`,
// and exits non-zero when any test or step failed. Before it, which host ran the desktop specs
// (their `desktop-host` annotation: Electron, or the Chromium desktop host where no binary exists).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, ...failedSteps] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
/** Desktop host → number of desktop tests it ran. */
const desktopHosts = new Map();
const hostNames = { electron: 'Electron', 'chromium-host': 'the Chromium desktop host' };

/** Every Playwright test in a report (suites nest), with its annotations. */
function* playwrightTests(suite) {
  for (const spec of suite.specs ?? []) yield* spec.tests ?? [];
  for (const child of suite.suites ?? []) yield* playwrightTests(child);
}
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const report = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
  if ('numPassedTests' in report) {
    // vitest (jest-compatible JSON)
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
  } else if (report.stats) {
    // Playwright's JSON reporter
    passed += report.stats.expected + (report.stats.flaky ?? 0);
    failed += report.stats.unexpected;
    skipped += report.stats.skipped;
    for (const test of (report.suites ?? []).flatMap((suite) => [...playwrightTests(suite)])) {
      const annotations = [...(test.annotations ?? []), ...(test.results ?? []).flatMap((result) => result.annotations ?? [])];
      const host = annotations.find((annotation) => annotation.type === 'desktop-host')?.description;
      if (host) desktopHosts.set(host, (desktopHosts.get(host) ?? 0) + 1);
    }
  }
}
if (desktopHosts.size > 0) {
  const ran = [...desktopHosts].map(([host, count]) => `${hostNames[host] ?? host} (${count} tests)`);
  console.log(`desktop specs ran in: ${ran.join(', ')}`);
}
if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || failedSteps.length > 0 ? 1 : 0);
