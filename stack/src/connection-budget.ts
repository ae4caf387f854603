// The connection budget between nginx, the gate and Orthanc (docs/connections.md): the sizes the
// stack renders into nginx's and Orthanc's configuration, derived from the machine's cores unless
// hospital IT overrides them in the stack config, and the rules `stack:up` checks before it starts
// anything. A broken rule stops the start with one line that names the numbers and what to change.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { GATE_KEEP_ALIVE_TIMEOUT_MS } from '@reading-station/proxy-server/server-timeouts';
import type { StackConfig } from './config.ts';
import { StackError } from './errors.ts';

/**
 * Connections Orthanc's HTTP server (CivetWeb) lets wait in the kernel while all its threads are
 * busy: its listen backlog, 200, fixed in Orthanc 1.13 (`ss -ltn` shows it as the listener's
 * Send-Q). Past threads + backlog the kernel drops connection attempts (ListenDrops) and nginx
 * waits 1 s, 3 s, … to connect.
 */
export const ORTHANC_LISTEN_BACKLOG = 200;

/** How long nginx keeps an idle connection to the gate (`keepalive_timeout` in the gate upstream). */
export const NGINX_GATE_KEEPALIVE_TIMEOUT_SECONDS = 60;

/** Connections each nginx worker holds besides proxied requests: listeners, the ops server's, slack. */
const NGINX_WORKER_OVERHEAD = 32;

export interface ConnectionBudget {
  cores: number;
  /** Requests in flight at once through nginx that the stack is sized for. */
  concurrentRequests: number;
  nginxWorkers: number;
  nginxWorkerConnections: number;
  /** nginx `worker_rlimit_nofile`: a file descriptor per connection, plus files and logs. */
  nginxWorkerOpenFiles: number;
  /** Idle keep-alive connections per nginx worker to the gate. */
  gateKeepalive: number;
  gateKeepaliveTimeoutSeconds: number;
  /** The gate's own idle timeout (Node's keepAliveTimeout), from proxy-server. */
  gateServerKeepAliveTimeoutSeconds: number;
  orthancHttpThreads: number;
  /**
   * Orthanc keeps no idle connections: it answers one request per connection and nginx opens a new
   * one per request (see docs/connections.md for why this is not a pool).
   */
  orthancKeepAlive: false;
  orthancListenBacklog: number;
  /** Which keys hospital IT set (the rest were derived). */
  overridden: readonly string[];
}

const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** The budget for this machine: every key the config leaves out is derived from `cores`. */
export function connectionBudget(config: Pick<StackConfig, 'connections'>, cores: number = availableParallelism()): ConnectionBudget {
  const set = config.connections;
  const concurrentRequests = set.concurrentRequests ?? 200;
  const nginxWorkers = set.nginxWorkers ?? clamp(cores, 1, 16);
  const nginxWorkerConnections = set.nginxWorkerConnections ?? 4096;
  return {
    cores,
    concurrentRequests,
    nginxWorkers,
    nginxWorkerConnections,
    nginxWorkerOpenFiles: 2 * nginxWorkerConnections,
    // Enough idle connections for a worker's share of the requests in flight, so steady load opens
    // no new connection to the gate per request.
    gateKeepalive: set.gateKeepalive ?? clamp(Math.ceil(concurrentRequests / nginxWorkers), 16, 128),
    gateKeepaliveTimeoutSeconds: NGINX_GATE_KEEPALIVE_TIMEOUT_SECONDS,
    gateServerKeepAliveTimeoutSeconds: GATE_KEEP_ALIVE_TIMEOUT_MS / 1000,
    // Orthanc's threads read files and write answers; with one request per connection more
    // threads than this buy nothing measurable on this hardware (docs/connections.md).
    orthancHttpThreads: set.orthancHttpThreads ?? clamp(16 * cores, 32, 256),
    orthancKeepAlive: false,
    orthancListenBacklog: ORTHANC_LISTEN_BACKLOG,
    overridden: Object.entries(set)
      .filter(([, value]) => value !== undefined)
      .map(([key]) => `connections.${key}`),
  };
}

/** The rules, each broken one as a sentence that names the numbers and what to change. */
export function connectionBudgetProblems(budget: ConnectionBudget, limits: { openFilesHardLimit?: number; root?: boolean } = {}): string[] {
  const problems: string[] = [];
  const b = budget;
  const orthancCapacity = b.orthancHttpThreads + b.orthancListenBacklog;
  if (orthancCapacity < b.concurrentRequests) {
    problems.push(
      `Orthanc can hold ${orthancCapacity} requests at once (connections.orthancHttpThreads ${b.orthancHttpThreads} + listen backlog ${b.orthancListenBacklog}) but the stack is sized for ${b.concurrentRequests} (connections.concurrentRequests): set orthancHttpThreads to at least ${b.concurrentRequests - b.orthancListenBacklog}`,
    );
  }
  // Each gated frame in flight holds a client connection, and for a moment one to the gate and one
  // to Orthanc; one worker may be handed every client (nginx does not balance accepts).
  const perWorker = 3 * b.concurrentRequests + b.gateKeepalive + NGINX_WORKER_OVERHEAD;
  if (b.nginxWorkerConnections < perWorker) {
    problems.push(
      `nginx worker_connections ${b.nginxWorkerConnections} is below what ${b.concurrentRequests} requests in flight can take in one worker (3 × ${b.concurrentRequests} + gate pool ${b.gateKeepalive} + ${NGINX_WORKER_OVERHEAD} = ${perWorker}): raise connections.nginxWorkerConnections or lower connections.concurrentRequests`,
    );
  }
  if (b.gateKeepaliveTimeoutSeconds >= b.gateServerKeepAliveTimeoutSeconds) {
    problems.push(
      `nginx keeps idle gate connections ${b.gateKeepaliveTimeoutSeconds} s but the gate closes them after ${b.gateServerKeepAliveTimeoutSeconds} s: nginx's keepalive_timeout must be shorter, or nginx reuses connections the gate is closing`,
    );
  }
  if (limits.openFilesHardLimit !== undefined && !limits.root && limits.openFilesHardLimit < b.nginxWorkerOpenFiles) {
    problems.push(
      `nginx needs ${b.nginxWorkerOpenFiles} open files per worker (2 × worker_connections ${b.nginxWorkerConnections}) but the hard limit is ${limits.openFilesHardLimit}: raise it (ulimit -Hn, LimitNOFILE) or lower connections.nginxWorkerConnections`,
    );
  }
  return problems;
}

/** The checks on what was rendered: a template edit cannot bring back what the budget rules out. */
export function renderedConnectionProblems(nginxConfig: string, orthancConfig: { KeepAlive?: unknown; HttpThreadsCount?: unknown }, budget: ConnectionBudget): string[] {
  const problems: string[] = [];
  const upstream = /upstream orthanc \{([^}]*)\}/.exec(nginxConfig)?.[1];
  if (upstream === undefined) problems.push('the rendered nginx configuration has no `upstream orthanc` block');
  else if (/^\s*keepalive\s/m.test(upstream)) {
    problems.push(
      'the rendered nginx configuration keeps idle connections to Orthanc (`keepalive` in `upstream orthanc`): Orthanc holds a thread per open connection, so pooled connections starve new ones; remove it',
    );
  }
  if (orthancConfig.KeepAlive !== false) {
    problems.push('Orthanc is configured with KeepAlive other than false: each open connection would hold one of its HTTP threads (docs/connections.md)');
  }
  if (orthancConfig.HttpThreadsCount !== budget.orthancHttpThreads) {
    problems.push(`Orthanc's HttpThreadsCount ${String(orthancConfig.HttpThreadsCount)} is not the budget's ${budget.orthancHttpThreads}`);
  }
  if (!new RegExp(`^worker_processes ${budget.nginxWorkers};$`, 'm').test(nginxConfig)) {
    problems.push(`the rendered nginx configuration does not run the budget's ${budget.nginxWorkers} worker processes`);
  }
  return problems;
}

/** The hard limit on open files this process (and so nginx, which it starts) runs with. */
export function openFilesHardLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const hard = line?.[2];
    return hard === undefined || hard === 'unlimited' ? undefined : Number(hard);
  } catch {
    return undefined;
  }
}

/** Throws one line naming the first broken rule (and how many more there are). */
export function assertConnectionBudget(problems: readonly string[]): void {
  if (problems.length === 0) return;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more connection-budget problem${problems.length > 2 ? 's' : ''})` : '';
  throw new StackError(`connection budget: ${problems[0]}${more}; see docs/connections.md`);
}

/** One line for the start report: what the stack was sized to. */
export function describeConnectionBudget(b: ConnectionBudget): string {
  const overridden = b.overridden.length > 0 ? `; set: ${b.overridden.join(', ')}` : '';
  return `connections for ${b.concurrentRequests} requests in flight (${b.cores} cores): nginx ${b.nginxWorkers} workers × ${b.nginxWorkerConnections}, ${b.gateKeepalive} idle to the gate per worker, Orthanc ${b.orthancHttpThreads} threads, one request per Orthanc connection${overridden}`;
}
