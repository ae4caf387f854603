import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATE_KEEP_ALIVE_TIMEOUT_MS } from '@reading-station/proxy-server/server-timeouts';
import { loadStackConfig } from './config.ts';
import {
  ORTHANC_LISTEN_BACKLOG,
  assertConnectionBudget,
  connectionBudget,
  connectionBudgetProblems,
  describeConnectionBudget,
  renderedConnectionProblems,
  type ConnectionBudget,
} from './connection-budget.ts';
import { stackLayout } from './layout.ts';
import { renderNginxConfiguration } from './nginx.ts';
import { orthancConfiguration, type OrthancInstallation } from './orthanc.ts';

const none = { connections: {} };

function rendered(budget: ConnectionBudget): { nginx: string; orthanc: { KeepAlive?: unknown; HttpThreadsCount?: unknown } } {
  const layout = stackLayout(mkdtempSync(path.join(tmpdir(), 'rs-budget-')));
  const nginx = renderNginxConfiguration({
    layout,
    listenAddress: '127.0.0.1',
    httpPort: 18080,
    opsPort: 18081,
    gatePort: 13001,
    orthancPort: 18042,
    orthancBasicAuth: 'bmdpbng6c2VjcmV0',
    rendererDist: path.join(layout.stateDir, 'no-renderer'),
    corsOrigins: [],
    budget,
  });
  const installation = { root: '/r', loader: '/r/ld', binary: '/r/Orthanc', libraryPath: '/r/lib', plugins: [], env: {} } satisfies OrthancInstallation;
  const orthanc = orthancConfiguration({ layout, installation, port: 18042, credentials: { username: 'u', password: 'p' }, budget });
  return { nginx, orthanc };
}

describe('connection budget: sizes from the machine', () => {
  it('derives workers, pools and Orthanc threads from the cores', () => {
    expect(connectionBudget(none, 2)).toMatchObject({
      cores: 2,
      concurrentRequests: 200,
      nginxWorkers: 2,
      nginxWorkerConnections: 4096,
      nginxWorkerOpenFiles: 8192,
      gateKeepalive: 100,
      orthancHttpThreads: 32,
      orthancKeepAlive: false,
      overridden: [],
    });
    expect(connectionBudget(none, 1)).toMatchObject({ nginxWorkers: 1, orthancHttpThreads: 32, gateKeepalive: 128 });
    expect(connectionBudget(none, 8)).toMatchObject({ nginxWorkers: 8, orthancHttpThreads: 128, gateKeepalive: 25 });
    expect(connectionBudget(none, 64)).toMatchObject({ nginxWorkers: 16, orthancHttpThreads: 256, gateKeepalive: 16 });
  });

  it('the derived budget holds on every machine size', () => {
    for (const cores of [1, 2, 3, 4, 8, 16, 32, 64, 128]) {
      expect(connectionBudgetProblems(connectionBudget(none, cores)), `${cores} cores`).toEqual([]);
    }
  });

  it('takes hospital IT overrides from the stack config (file or environment) and names them', () => {
    const config = loadStackConfig({ env: { RS_ORTHANC_HTTP_THREADS: '64', RS_NGINX_WORKERS: '4', RS_CONCURRENT_REQUESTS: '250' } });
    const budget = connectionBudget(config, 2);
    expect(budget).toMatchObject({ orthancHttpThreads: 64, nginxWorkers: 4, concurrentRequests: 250, gateKeepalive: 63 });
    expect(budget.overridden).toEqual(['connections.concurrentRequests', 'connections.nginxWorkers', 'connections.orthancHttpThreads']);
    expect(describeConnectionBudget(budget)).toContain('set: connections.concurrentRequests, connections.nginxWorkers, connections.orthancHttpThreads');
  });

  it('orders nginx → gate keep-alive: nginx lets idle connections go before the gate closes them', () => {
    const budget = connectionBudget(none, 2);
    expect(budget.gateServerKeepAliveTimeoutSeconds).toBe(GATE_KEEP_ALIVE_TIMEOUT_MS / 1000);
    expect(budget.gateKeepaliveTimeoutSeconds).toBeLessThan(budget.gateServerKeepAliveTimeoutSeconds);
  });
});

describe('connection budget: what stack:up refuses', () => {
  it('more requests in flight than Orthanc can hold (threads + listen backlog)', () => {
    const budget = connectionBudget({ connections: { concurrentRequests: 300, orthancHttpThreads: 50 } }, 2);
    const problems = connectionBudgetProblems(budget);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toBe(
      `Orthanc can hold ${50 + ORTHANC_LISTEN_BACKLOG} requests at once (connections.orthancHttpThreads 50 + listen backlog ${ORTHANC_LISTEN_BACKLOG}) but the stack is sized for 300 (connections.concurrentRequests): set orthancHttpThreads to at least 100`,
    );
    expect(connectionBudgetProblems(connectionBudget({ connections: { concurrentRequests: 300, orthancHttpThreads: 100 } }, 2))).toEqual([]);
  });

  it('too few nginx worker connections for the requests in flight', () => {
    const problems = connectionBudgetProblems(connectionBudget({ connections: { nginxWorkerConnections: 512 } }, 2));
    expect(problems).toEqual([expect.stringMatching(/^nginx worker_connections 512 is below what 200 requests in flight can take in one worker \(3 × 200 \+ gate pool 100 \+ 32 = 732\)/)]);
  });

  it('nginx keeping idle gate connections longer than the gate does', () => {
    const budget = { ...connectionBudget(none, 2), gateKeepaliveTimeoutSeconds: 70 };
    expect(connectionBudgetProblems(budget)).toEqual([expect.stringContaining('nginx keeps idle gate connections 70 s but the gate closes them after 65 s')]);
  });

  it('an open-files limit below what nginx workers need, unless run as root (nginx raises it then)', () => {
    const budget = connectionBudget(none, 2);
    expect(connectionBudgetProblems(budget, { openFilesHardLimit: 1024 })).toEqual([expect.stringContaining('nginx needs 8192 open files per worker')]);
    expect(connectionBudgetProblems(budget, { openFilesHardLimit: 1024, root: true })).toEqual([]);
    expect(connectionBudgetProblems(budget, { openFilesHardLimit: 1_048_576 })).toEqual([]);
  });

  it('says it in one line, the first problem and how many more', () => {
    expect(() => assertConnectionBudget([])).not.toThrow();
    const error = (() => {
      try {
        assertConnectionBudget(['first thing', 'second thing', 'third thing']);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error?.name).toBe('StackError');
    expect(error?.message).toBe('connection budget: first thing (and 2 more connection-budget problems); see docs/connections.md');
    expect(error?.message).not.toContain('\n');
  });
});

describe('connection budget: the rendered configurations keep it', () => {
  it('nginx: workers and pools from the budget, no idle connection to Orthanc, Connection: close to it', () => {
    const budget = connectionBudget({ connections: { nginxWorkers: 3, gateKeepalive: 40, nginxWorkerConnections: 2048 } }, 2);
    const { nginx, orthanc } = rendered(budget);
    expect(nginx).toMatch(/^worker_processes 3;$/m);
    expect(nginx).toMatch(/^worker_rlimit_nofile 4096;$/m);
    expect(nginx).toMatch(/^\s+worker_connections 2048;$/m);
    const gate = /upstream reading_station_gate \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    expect(gate).toMatch(/^\s+keepalive 40;$/m);
    expect(gate).toMatch(/^\s+keepalive_timeout 60s;$/m);
    const upstream = /upstream orthanc \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    expect(upstream).toContain('server 127.0.0.1:18042;');
    expect(upstream).not.toMatch(/keepalive/);
    // Locations that proxy to Orthanc leave nginx's default `Connection: close` in place.
    for (const location of nginx.split(/\n\s+location /).filter((block) => /proxy_pass http:\/\/orthanc\//.test(block))) {
      expect(location).not.toMatch(/proxy_set_header Connection/);
    }
    expect(renderedConnectionProblems(nginx, orthanc, budget)).toEqual([]);
  });

  it('Orthanc: one request per connection, the budget’s threads', () => {
    const budget = connectionBudget({ connections: { orthancHttpThreads: 48 } }, 2);
    const { orthanc } = rendered(budget);
    expect(orthanc).toMatchObject({ KeepAlive: false, HttpThreadsCount: 48 });
  });

  it('refuses a rendering that pools connections to Orthanc or keeps Orthanc connections alive', () => {
    const budget = connectionBudget(none, 2);
    const { nginx, orthanc } = rendered(budget);
    const pooled = nginx.replace(/(upstream orthanc \{\n\s+server [^\n]+\n)/, '$1        keepalive 32;\n');
    expect(renderedConnectionProblems(pooled, orthanc, budget)).toEqual([expect.stringContaining('keeps idle connections to Orthanc')]);
    expect(renderedConnectionProblems(nginx, { ...orthanc, KeepAlive: true }, budget)).toEqual([expect.stringContaining('KeepAlive other than false')]);
    expect(renderedConnectionProblems(nginx, { ...orthanc, HttpThreadsCount: 50 }, budget)).toEqual([expect.stringContaining('HttpThreadsCount 50 is not the budget')]);
  });
});
