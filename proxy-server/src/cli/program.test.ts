import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditAnchor } from '../audit/audit-anchor.ts';
import { loadAuditKeys } from '../audit/audit-keys.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { RefreshTokenStore } from '../auth/refresh-tokens.ts';
import { createDatabase } from '../db/database.ts';
import { findPatientByPatientId, upsertPatient } from '../patients/patient-repository.ts';
import { findStudyByUid } from '../studies/study-repository.ts';
import { readSyncPosition, SYNC_SOURCE } from '../sync/registry-sync.ts';
import { dicomFile } from '../testing/dicom-fixtures.ts';
import { OrthancStandIn } from '../testing/orthanc-stand-in.ts';
import { findUserByUsername, verifyCredentials } from '../users/user-repository.ts';
import { runCli } from './program.ts';

let dir: string;
let dbFile: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'rs-cli-'));
  dbFile = path.join(dir, 'rs.sqlite');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], { env = {}, stdin = '' }: { env?: Record<string, string>; stdin?: string } = {}): Promise<Result> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { env: { RS_DB_FILENAME: dbFile, ...env }, stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: out, stderr: err };
}

async function inDatabase<T>(run: (db: ReturnType<typeof createDatabase>) => Promise<T>): Promise<T> {
  const db = createDatabase({ client: 'sqlite', filename: dbFile });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

describe('migrate', () => {
  it('creates the schema once', async () => {
    expect(await cli(['migrate'])).toEqual({ code: 0, stdout: 'applied 0001_initial_schema, 0002_registry_sync, 0003_idp_identities, 0004_audit_key_id, 0006_hospital_relations, 0007_audit_served, 0008_audit_forwarding, 0009_patient_issuer_identity\n', stderr: '' });
    expect(await cli(['migrate'])).toEqual({ code: 0, stdout: 'database schema is up to date\n', stderr: '' });
  });

  it('reads the database from --config', async () => {
    const other = path.join(dir, 'other.sqlite');
    const config = path.join(dir, 'rs.json');
    writeFileSync(config, JSON.stringify({ database: { client: 'sqlite', filename: other } }));
    const stdout = new PassThrough();
    const code = await runCli(['--config', config, 'migrate'], { env: {}, stdin: Readable.from(['']), stdout, stderr: new PassThrough() });
    expect(code).toBe(0);
    const db = createDatabase({ client: 'sqlite', filename: other });
    expect((await db.introspection.getTables()).map((table) => table.name)).toContain('users');
    await db.destroy();
  });

  it('prints configuration errors as they are', async () => {
    expect(await cli(['--config', path.join(dir, 'nope.json'), 'migrate'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `config: cannot read config file ${path.join(dir, 'nope.json')}: no such file\n`,
    });
  });
});

describe('user add', () => {
  it('refuses to work on a database that is not migrated', async () => {
    const result = await cli(['user', 'add', '--username', 'ada', '--role', 'admin', '--display-name', 'Ada'], { env: { RS_NEW_PASSWORD: 'long enough' } });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'reading-station-admin: the database schema is not up to date (pending: 0001_initial_schema, 0002_registry_sync, 0003_idp_identities, 0004_audit_key_id, 0006_hospital_relations, 0007_audit_served, 0008_audit_forwarding, 0009_patient_issuer_identity); run `reading-station-admin migrate` first\n',
    });
  });

  it('creates a user with the password from stdin, without its trailing newline', async () => {
    await cli(['migrate']);
    const result = await cli(['user', 'add', '--username', 'Ada', '--role', 'admin', '--display-name', 'Ada Lovelace', '--password-stdin'], { stdin: 'analytical engine\n' });
    expect(result).toEqual({ code: 0, stdout: 'created user ada (admin, id 1)\n', stderr: '' });
    await inDatabase(async (db) => {
      expect(await verifyCredentials(db, 'ada', 'analytical engine')).toMatchObject({ ok: true });
    });
  });

  it('takes the password from RS_NEW_PASSWORD and links patient accounts', async () => {
    await cli(['migrate']);
    const result = await cli(['user', 'add', '--username', 'jane', '--role', 'patient', '--display-name', 'Jane', '--patient-id', 'PAT-9'], {
      env: { RS_NEW_PASSWORD: 'jane password' },
    });
    expect(result.code).toBe(0);
    await inDatabase(async (db) => {
      expect(await findUserByUsername(db, 'jane')).toMatchObject({ role: 'patient', patientRecordId: expect.any(Number) });
    });
  });

  it('links a patient account to exactly the PatientID and --issuer given, or to the patient without one', async () => {
    await cli(['migrate']);
    const [a, b] = await inDatabase(async (db) => [
      await upsertPatient(db, { patientId: 'MRN-5', issuerOfPatientId: 'HOSP-A', name: 'DOE^JANE' }),
      await upsertPatient(db, { patientId: 'MRN-5', issuerOfPatientId: 'HOSP-B', name: 'ROE^RICHARD' }),
    ]);
    const env = { RS_NEW_PASSWORD: randomBytes(12).toString('base64url') };
    const add = (username: string, ...link: string[]) => cli(['user', 'add', '--username', username, '--role', 'patient', '--display-name', username, '--patient-id', 'MRN-5', ...link], { env });
    expect(await add('pat.b', '--issuer', 'HOSP-B')).toMatchObject({ code: 0 });
    expect(await add('pat.none')).toMatchObject({ code: 0 });
    expect(await cli(['user', 'add', '--username', 'pat.x', '--role', 'patient', '--display-name', 'X', '--issuer', 'HOSP-A'], { env })).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--issuer needs --patient-id'),
    });
    await inDatabase(async (db) => {
      expect((await findUserByUsername(db, 'pat.b'))?.patientRecordId).toBe(b!.id);
      const none = (await findUserByUsername(db, 'pat.none'))?.patientRecordId;
      expect(none).toBe((await findPatientByPatientId(db, 'MRN-5'))?.id);
      expect([a!.id, b!.id]).not.toContain(none);
      expect(await findUserByUsername(db, 'pat.x')).toBeUndefined();
    });
  });

  it('explains what is wrong in one line', async () => {
    await cli(['migrate']);
    const base = ['user', 'add', '--username', 'bob', '--display-name', 'Bob'];
    expect(await cli([...base, '--role', 'doctor'])).toMatchObject({ code: 1, stderr: 'reading-station-admin: no password: pipe it to --password-stdin or set RS_NEW_PASSWORD\n' });
    expect(await cli([...base, '--role', 'doctor', '--password-stdin'], { stdin: '\n' })).toMatchObject({ code: 1, stderr: expect.stringContaining('no password') });
    expect(await cli([...base, '--role', 'patient'], { env: { RS_NEW_PASSWORD: 'password1' } })).toMatchObject({
      code: 1,
      stderr: 'reading-station-admin: a patient account needs the PatientID of its patient record\n',
    });
    expect((await cli([...base, '--role', 'wizard'], { env: { RS_NEW_PASSWORD: 'password1' } })).stderr).toContain("argument 'wizard' is invalid");
    await cli([...base, '--role', 'doctor'], { env: { RS_NEW_PASSWORD: 'password1' } });
    expect(await cli([...base, '--role', 'doctor'], { env: { RS_NEW_PASSWORD: 'password1' } })).toMatchObject({
      code: 1,
      stderr: 'reading-station-admin: the username "bob" is already taken\n',
    });
  });
});

describe('study import and assign', () => {
  let orthanc: OrthancStandIn;
  let orthancUrl: string;

  beforeEach(async () => {
    orthanc = new OrthancStandIn();
    orthancUrl = await orthanc.start();
    await cli(['migrate']);
  });

  afterEach(async () => {
    await orthanc.stop();
  });

  const STUDY = '1.2.826.0.1.3680043.8.498.300';

  function put(relative: string, content: Uint8Array | string): string {
    const file = path.join(dir, 'dicom', relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  const instance = (series: number, number: number) =>
    dicomFile({ patientId: 'P-300', studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.${series}`, sopInstanceUid: `${STUDY}.${series}.${number}`, modality: 'CT' });

  /** The gate's configuration as the admin CLI reads it: the database and Orthanc's REST API. */
  function configFile(password = orthanc.password): string {
    const file = path.join(dir, 'gate.json');
    writeFileSync(file, JSON.stringify({ database: { client: 'sqlite', filename: dbFile }, orthanc: { url: orthancUrl, username: orthanc.username, password } }));
    return file;
  }

  const importArgs = (...paths: string[]) => ['--config', configFile(), 'study', 'import', ...(paths.length > 0 ? paths : [path.join(dir, 'dicom')])];

  it('sends a directory tree to Orthanc (hidden entries skipped) and, with no gate following Orthanc, records its studies with the sync\'s code', async () => {
    put('1/a.dcm', instance(1, 1));
    put('1/deeper/b.dcm', instance(1, 2));
    put('2/c.dcm', instance(2, 1));
    put('.hidden/d.dcm', 'not even DICOM');
    const result = await cli(importArgs());
    expect(result).toEqual({
      code: 0,
      stdout: 'imported 3 of 3 files into Orthanc: 3 new, 0 already stored; 0 rejected\nregistry: 1 study of 1 patient recorded by this command (no gate follows Orthanc: start the gate to keep the registry following it)\n',
      stderr: '',
    });
    expect(orthanc.uploads).toBe(3);
    await inDatabase(async (db) => {
      expect(await findStudyByUid(db, STUDY)).toMatchObject({ numberOfSeries: 2, numberOfInstances: 3, modalities: ['CT'] });
      // The lease is given back, so a gate starting now follows Orthanc at once.
      expect(await readSyncPosition(db)).toMatchObject({ leaseOwner: null });
    });
    // Again: Orthanc already has every file; nothing new, nothing refused.
    expect((await cli(importArgs())).stdout).toMatch(/^imported 3 of 3 files into Orthanc: 0 new, 3 already stored; 0 rejected\n/);
  });

  it("lists every file Orthanc refuses with Orthanc's reason (a DICOMDIR and a README too) and exits 0 when something was imported", async () => {
    put('1/a.dcm', instance(1, 1));
    const notes = put('notes.txt', 'hello');
    const index = put('DICOMDIR', 'index');
    const result = await cli(importArgs());
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        'imported 1 of 3 files into Orthanc: 1 new, 0 already stored; 2 rejected',
        'registry: 1 study of 1 patient recorded by this command (no gate follows Orthanc: start the gate to keep the registry following it)',
        'rejected:',
        `  ${index}: Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 12 bytes))`,
        `  ${notes}: Orthanc answered HTTP 400 (Bad file format: Cannot parse an invalid DICOM file (size: 12 bytes))`,
        '',
      ].join('\n'),
    );
  });

  it('says which studies Orthanc took that the registry cannot file (no PatientID), and exits 1 when nothing was recorded', async () => {
    const file = put('1/a.dcm', dicomFile({ studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.1`, sopInstanceUid: `${STUDY}.1.1` }));
    const result = await cli(importArgs());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^in Orthanc, not recorded in the registry:\n  study ${STUDY.replaceAll('.', '\\.')} \\(Orthanc study-\\w+, 1 file\\): no PatientID: the registry files every study under its patient\n    ${file}$`, 'm'));
    await inDatabase(async (db) => expect(await findStudyByUid(db, STUDY)).toBeUndefined());
  });

  it('waits for the gate that holds the sync lease, and says what to do when it does not record the studies in time', async () => {
    put('1/a.dcm', instance(1, 1));
    // A gate holds the sync's lease but is stuck: it never records anything.
    await inDatabase((db) =>
      db
        .insertInto('registry_sync')
        .values({ source: SYNC_SOURCE, last_seq: 0, updated_at: new Date().toISOString(), lease_owner: 'a-gate', lease_expires_at: new Date(Date.now() + 60_000).toISOString() })
        .execute(),
    );
    const result = await cli([...importArgs(), '--timeout', '1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^registry: 0 studies of 0 patients recorded by the gate\nin Orthanc, not recorded yet:\n {2}study /m);
    expect(result.stderr).toBe(
      'reading-station-admin: 1 study is in Orthanc but not in the registry after 1 s: the gate that follows Orthanc has not recorded it; see its log (registry sync), then run `reading-station-admin registry reconcile`\n',
    );
  });

  it('stops at once, with one line, when Orthanc refuses the credentials or cannot be reached', async () => {
    put('1/a.dcm', instance(1, 1));
    put('1/b.dcm', instance(1, 2));
    // Any password but the stand-in Orthanc's own; both are made per run.
    const file = configFile(`not-${randomBytes(6).toString('hex')}`);
    expect(await cli(['--config', file, 'study', 'import', path.join(dir, 'dicom'), '--concurrency', '1'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'reading-station-admin: Orthanc refused the credentials of user "importer" (HTTP 401)\n',
    });
    expect(orthanc.uploads).toBe(1);
    await orthanc.stop();
    const unreachable = await cli(importArgs());
    expect(unreachable).toMatchObject({ code: 1, stdout: '' });
    expect(unreachable.stderr).toMatch(/^reading-station-admin: cannot reach Orthanc at http:\/\/127\.0\.0\.1:\d+: connection refused\n$/);
    orthanc = new OrthancStandIn();
    orthancUrl = await orthanc.start();
  });

  it("needs the configuration's orthanc section and a valid concurrency and timeout", async () => {
    put('1/a.dcm', instance(1, 1));
    expect(await cli(['study', 'import', path.join(dir, 'dicom')])).toMatchObject({
      code: 1,
      stderr: "reading-station-admin: the configuration has no orthanc section (url, username, password): give the gate's configuration with --config\n",
    });
    expect((await cli([...importArgs(), '--concurrency', '0'])).stderr).toContain('expected an integer between 1 and 32');
    expect((await cli([...importArgs(), '--timeout', 'soon'])).stderr).toContain('expected an integer between 1 and 86400');
  });

  it('assigns the ordering physician and the radiologist by username', async () => {
    put('1/a.dcm', instance(1, 1));
    await cli(importArgs());
    for (const [username, role] of [
      ['doc', 'doctor'],
      ['rad', 'radiologist'],
    ]) {
      await cli(['user', 'add', '--username', username!, '--role', role!, '--display-name', username!], { env: { RS_NEW_PASSWORD: 'password1' } });
    }
    expect(await cli(['study', 'assign', STUDY, '--ordering', 'doc', '--radiologist', 'RAD'])).toEqual({
      code: 0,
      stdout: `study ${STUDY}: ordering physician doc, radiologist rad\n`,
      stderr: '',
    });
    expect(await cli(['study', 'assign', STUDY, '--radiologist', 'doc'])).toMatchObject({
      code: 1,
      stderr: 'reading-station-admin: "doc" is doctor and cannot be the radiologist (needs radiologist)\n',
    });
    expect(await cli(['study', 'assign', STUDY])).toMatchObject({ code: 1, stderr: 'reading-station-admin: nothing to assign: give --ordering and/or --radiologist\n' });
  });
});

describe('user revoke-sessions, disable and enable', () => {
  beforeEach(async () => {
    await cli(['migrate']);
    await cli(['user', 'add', '--username', 'rad.chen', '--role', 'radiologist', '--display-name', 'Chen'], { env: { RS_NEW_PASSWORD: 'password1' } });
  });

  it('take the username in any case and print its canonical form', async () => {
    await inDatabase(async (db) => {
      const user = await findUserByUsername(db, 'rad.chen');
      const store = new RefreshTokenStore(db, { ttlSeconds: 60 });
      await store.issue(user!.id);
      await store.issue(user!.id);
    });
    expect(await cli(['user', 'revoke-sessions', ' Rad.Chen '])).toEqual({ code: 0, stdout: 'ended 2 sessions of rad.chen\n', stderr: '' });
    expect(await cli(['user', 'revoke-sessions', 'RAD.CHEN'])).toEqual({ code: 0, stdout: 'ended 0 sessions of rad.chen\n', stderr: '' });
    expect(await cli(['user', 'disable', 'Rad.Chen'])).toEqual({ code: 0, stdout: 'user rad.chen disabled\n', stderr: '' });
    await inDatabase(async (db) => expect(await findUserByUsername(db, 'rad.chen')).toMatchObject({ disabled: true }));
    expect(await cli(['user', 'enable', 'RAD.chen'])).toEqual({ code: 0, stdout: 'user rad.chen enabled\n', stderr: '' });
    await inDatabase(async (db) => expect(await findUserByUsername(db, 'rad.chen')).toMatchObject({ disabled: false }));
  });

  it('name an unknown user in one line', async () => {
    expect(await cli(['user', 'revoke-sessions', 'Nobody'])).toEqual({ code: 1, stdout: '', stderr: 'reading-station-admin: no user nobody\n' });
    expect(await cli(['user', 'disable', 'Nobody'])).toEqual({ code: 1, stdout: '', stderr: 'reading-station-admin: no user "nobody"\n' });
  });
});

describe('audit verify and export', () => {
  beforeEach(async () => {
    await cli(['migrate']);
    const times = ['2026-11-01T09:00:00.000Z', '2026-11-02T09:00:00.000Z'];
    let next = 0;
    await inDatabase(async (db) => {
      const log = new AuditLog(db, { now: () => new Date(times[next++]!) });
      await log.append({ action: 'LOGIN', result: 'success', username: 'ada', clientIp: '10.0.0.1' });
      await log.append({ action: 'LOGOUT', result: 'success', username: 'ada', clientIp: '10.0.0.1' });
    });
  });

  it('verifies the chain, and names the first edited row', async () => {
    expect(await cli(['audit', 'verify'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log intact: 2 rows; head hash [0-9a-f]{64}; 0 anchored heads\n$/) });
    await inDatabase((db) => db.updateTable('audit_log').set({ username: 'eve' }).where('id', '=', 1).execute());
    expect(await cli(['audit', 'verify'])).toEqual({
      code: 1,
      stdout: 'audit log BROKEN after 0 intact rows: row 1 was edited: its hash does not match its content\n',
      stderr: '',
    });
  });

  it('checks HMACs with the key file and the anchor file: a re-chain without the key, or cut rows, fail', async () => {
    const keyFile = path.join(dir, 'audit.key');
    const anchorFile = path.join(dir, 'audit-anchor.log');
    writeFileSync(keyFile, `${'k'.repeat(40)}\n`, { mode: 0o600 });
    const env = { RS_AUDIT_KEY_FILE: keyFile, RS_AUDIT_ANCHOR_FILE: anchorFile };
    await inDatabase(async (db) => {
      const log = new AuditLog(db, { keys: loadAuditKeys(keyFile) });
      const anchor = new AuditAnchor(anchorFile, () => db.selectFrom('audit_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst());
      for (let n = 0; n < 3; n++) await log.append({ action: 'LOGIN', result: 'success', username: `u${n}` });
      await anchor.close();
    });
    expect(await cli(['audit', 'verify'], { env })).toMatchObject({ code: 0, stdout: expect.stringMatching(/^audit log intact: 5 rows; head hash [0-9a-f]{64}; 1 anchored heads\n$/) });
    await inDatabase((db) => db.deleteFrom('audit_log').where('id', '>', 3).execute());
    expect(await cli(['audit', 'verify'], { env })).toEqual({
      code: 1,
      stdout: "audit log BROKEN after 3 intact rows: the anchor file knows 2 rows past the database's end (row 5 was recorded; the log ends at row 3): rows were deleted from the end\n",
      stderr: '',
    });
  });

  it('exports every row as FHIR NDJSON or DICOM XML, from a time when asked', async () => {
    const fhir = await cli(['audit', 'export', '--format', 'fhir', '--source', 'gate-1']);
    expect(fhir.code).toBe(0);
    const events = fhir.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { resourceType: string; recorded: string });
    expect(events.map((event) => [event.resourceType, event.recorded])).toEqual([
      ['AuditEvent', '2026-11-01T09:00:00.000Z'],
      ['AuditEvent', '2026-11-02T09:00:00.000Z'],
    ]);
    expect(fhir.stdout).toContain('gate-1');

    const dicom = await cli(['audit', 'export', '--format', 'dicom', '--since', '2026-11-02']);
    expect(dicom.code).toBe(0);
    expect(dicom.stdout.match(/<AuditMessage>/g)).toHaveLength(1);
    expect(dicom.stdout).toMatch(/^<AuditMessage>/);
    expect(dicom.stdout).toContain('EventDateTime="2026-11-02T09:00:00.000Z"');
    expect(dicom.stdout).toContain('AuditSourceID="reading-station"');
  });

  it('exports rows holding control characters (stored before normalisation) without passing them to the terminal', async () => {
    await inDatabase((db) => db.updateTable('audit_log').set({ username: '\x01\x1b[2Jprobe', reason: ']]><x\u009b31m\uFFFE\uD800' }).where('id', '=', 2).execute());
    for (const format of ['fhir', 'dicom']) {
      const exported = await cli(['audit', 'export', '--format', format]);
      expect(exported.code).toBe(0);
      expect(exported.stdout).toContain('[2Jprobe');
// eslint-disable-next-line no-control-regex -- control characters are what this matches
      expect(exported.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\uFFFE]/);
      expect(exported.stdout.isWellFormed()).toBe(true);
    }
  });

  it('refuses a --since that is not a time', async () => {
    expect(await cli(['audit', 'export', '--format', 'fhir', '--since', 'yesterday'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'reading-station-admin: --since: not an ISO 8601 time: yesterday\n',
    });
  });
});
