import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from '../db/schema.ts';
import { createTempDatabase, type TempDatabase } from '../testing/temp-database.ts';
import { chainRows } from './audit-chain.ts';
import { toDicomAuditMessage, toFhirAuditEvent } from './audit-export.ts';
import { NO_AUDIT_KEYS } from './audit-keys.ts';
import { AuditLog, verifyAuditLog } from './audit-log.ts';
import { auditText } from './audit-text.ts';
import { SqliteAuditWriter } from './sqlite-audit-writer.ts';

/** Text a client controls, as probes sent it: terminal escapes, C1, XML-hostile and non-characters. */
const HOSTILE = [
  '\x01\x1b[2Jprobe',
  'a\u0000b\u007fc\u0085d\u009be[31m',
  'x\uFFFEy\uFFFFz',
  'lone \uD800 high and \uDC00 low',
  ']]> <script> & "q" \'a\'',
  'tab\there\r\nnew line',
];
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const ANSI = /[\u0000-\u001f\u007f-\u009f]/;

/** Parses with a conforming XML 1.0 parser (well-formedness and the Char production); throws on any error. */
function parseXml(text: string): string[] {
  const parser = new SaxesParser();
  const texts: string[] = [];
  parser.on('error', (error) => {
    throw error;
  });
  parser.on('attribute', (attribute) => texts.push(attribute.value));
  parser.on('text', (value) => {
    if (value.trim() !== '') texts.push(value);
  });
  parser.write(`<AuditMessages>${text}</AuditMessages>`).close();
  return texts;
}

function storedRow(text: string, id = 1): AuditLogRow {
  return {
    id,
    at: '2026-11-27T10:00:00.000Z',
    request_id: text,
    user_id: null,
    username: text,
    role: text,
    action: 'LOGIN_FAILED',
    study_uid: text,
    series_uid: text,
    instance_uid: text,
    route_kind: text,
    client_ip: text,
    user_agent: text,
    result: 'failure',
    reason: text,
    prev_hash: null,
    hash: 'b'.repeat(64),
    key_id: null,
  };
}

describe('audit text', () => {
  it('strips C0, DEL, C1, U+FFFE/U+FFFF and lone surrogates, and keeps everything else', () => {
    expect(auditText('\x01\x1b[2Jprobe')).toBe('[2Jprobe');
    expect(auditText('x\uFFFEy\uFFFFz')).toBe('xyz');
    expect(auditText('lone \uD800 high and \uDC00 low')).toBe('lone  high and  low');
    expect(auditText('Ärztin 医生 😀 ]]> <&>')).toBe('Ärztin 医生 😀 ]]> <&>');
    expect(auditText(undefined)).toBeUndefined();
    expect(auditText(null)).toBeNull();
  });

  it('normalises every text field of a row as it is chained', () => {
    const [row] = chainRows(
      [{ at: '2026-11-27T10:00:00.000Z', event: { action: 'LOGIN_FAILED', result: 'failure', username: '\x01\x1b[2Jprobe', reason: 'bad\x9b', userAgent: 'ua\u0007', requestId: 'r\n', clientIp: '1.2.3.4\x00', routeKind: 'k\x1b' } }],
      undefined,
      NO_AUDIT_KEYS,
    );
    expect(row).toMatchObject({ username: '[2Jprobe', reason: 'bad', user_agent: 'ua', request_id: 'r', client_ip: '1.2.3.4', route_kind: 'k' });
  });

  it('exports rows stored with hostile text (before normalisation) as XML that parses and JSON that parses', () => {
    for (const text of HOSTILE) {
      const row = storedRow(text);
      const message = toDicomAuditMessage(row, { id: `gate ${text}` });
      const values = parseXml(message);
      expect(values.some((value) => value.includes('probe') || value.includes('script') || value.includes('xyz') || value.length > 0)).toBe(true);
      for (const value of values) expect(value).not.toMatch(ANSI);
      const line = JSON.stringify(toFhirAuditEvent(row, { id: text }));
      expect(line).not.toMatch(ANSI);
      expect(line).not.toMatch(/\\u00(?:1b|0[0-9a-f]|1[0-9a-f]|7f|8[0-9a-f]|9[0-9a-f])/i);
      expect(line.isWellFormed()).toBe(true);
      expect(JSON.parse(line)).toMatchObject({ resourceType: 'AuditEvent' });
    }
    const all = HOSTILE.map((text, index) => toDicomAuditMessage(storedRow(text, index + 1), { id: 'g' })).join('\n');
    expect(parseXml(all)).toContain(']]> <script> & "q" \'a\'');
  });
});

describe.each([
  { name: 'AuditLog', open: (temp: TempDatabase) => ({ log: new AuditLog(temp.db), close: async () => {} }) },
  {
    name: 'SqliteAuditWriter',
    open: (temp: TempDatabase) => {
      const log = new SqliteAuditWriter(temp.filename);
      return { log, close: () => log.close() };
    },
  },
])('$name stores hostile text normalised', ({ open }) => {
  it('strips control characters from every field, and the chain verifies', async () => {
    const temp = await createTempDatabase();
    const { log, close } = open(temp);
    try {
      for (const text of HOSTILE) {
        await log.append({ action: 'LOGIN_FAILED', result: 'failure', username: text, reason: text, userAgent: text, requestId: text, clientIp: text, routeKind: text, role: text });
      }
      const rows = await temp.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
      expect(rows).toHaveLength(HOSTILE.length);
      expect(rows[0]?.username).toBe('[2Jprobe');
      for (const row of rows) {
        for (const value of Object.values(row)) if (typeof value === 'string') expect(value.isWellFormed() && !ANSI.test(value) && !/[\uFFFE\uFFFF]/.test(value)).toBe(true);
      }
      expect(await verifyAuditLog(temp.db)).toMatchObject({ ok: true, rows: HOSTILE.length });
    } finally {
      await close();
      await temp.dispose();
    }
  });
});
