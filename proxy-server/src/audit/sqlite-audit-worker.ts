// The SQLite audit writer's thread. better-sqlite3 commits synchronously, and with
// synchronous=FULL each commit waits for the disk: doing that here rather than on the gate's event
// loop keeps requests flowing while a commit is in flight, and lets everything that arrived
// meanwhile share the next commit (group commit).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { chainRows } from './audit-chain.ts';
import type { TimedAuditEvent } from './audit-events.ts';
import type { AuditKey } from './audit-keys.ts';

interface Job extends TimedAuditEvent {
  seq: number;
}

const { filename, busyTimeoutMs, keys } = workerData as { filename: string; busyTimeoutMs: number; keys: AuditKey[] };
// The current key only: this thread signs, it never verifies.
const signing = { current: keys[0], byId: new Map(keys.map((key) => [key.id, key.secret])) };
const db = new Database(filename);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);

const head = db.prepare<[], { id: number; hash: string }>('select id, hash from audit_log order by id desc limit 1');
const insert = db.prepare(
  `insert into audit_log (id, at, request_id, user_id, username, role, action, study_uid, series_uid, instance_uid,
     route_kind, client_ip, user_agent, result, reason, prev_hash, hash, key_id)
   values (@id, @at, @request_id, @user_id, @username, @role, @action, @study_uid, @series_uid, @instance_uid,
     @route_kind, @client_ip, @user_agent, @result, @reason, @prev_hash, @hash, @key_id)`,
);
// IMMEDIATE: take the write lock before reading the head, so no other writer slips in between.
const writeBatch = db.transaction((batch: readonly Job[]) => {
  const rows = chainRows(batch, head.get(), signing);
  for (const row of rows) insert.run(row);
  return rows.map((row) => row.id);
}).immediate;

let queue: Job[] = [];
let scheduled = false;

function flush(): void {
  scheduled = false;
  const batch = queue;
  queue = [];
  if (batch.length === 0) return;
  try {
    const ids = writeBatch(batch);
    parentPort?.postMessage({ ok: true, seqs: batch.map((job) => job.seq), ids });
  } catch (error) {
    parentPort?.postMessage({ ok: false, seqs: batch.map((job) => job.seq), message: (error as Error).message });
  }
}

parentPort?.on('message', (message: Job[] | 'close') => {
  if (message === 'close') {
    flush();
    db.close();
    parentPort?.close();
    return;
  }
  for (const job of message) queue.push(job);
  if (!scheduled) {
    scheduled = true;
    // Messages already waiting are delivered before this runs, so they join the batch.
    setImmediate(flush);
  }
});
