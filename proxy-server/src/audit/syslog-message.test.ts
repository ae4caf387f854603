import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from '../db/schema.ts';
import { toDicomAuditMessage } from './audit-export.ts';
import { anchorSyslogMessage, auditRowSyslogMessage, formatSyslogMessage, headerField, octetCountedFrame, sdParamValue, type SyslogOrigin } from './syslog-message.ts';

const origin: SyslogOrigin = { hostname: 'gate-1.hospital.example', appName: 'reading-station', procId: '4242', enterpriseId: 32473 };

const row: AuditLogRow = {
  id: 42,
  at: '2026-11-27T10:00:00.123Z',
  request_id: 'req-1',
  user_id: 7,
  username: 'rad.müller',
  role: 'radiologist',
  action: 'DICOM_ACCESS',
  study_uid: '1.2.840.1',
  series_uid: null,
  instance_uid: null,
  route_kind: 'study.metadata',
  client_ip: '10.1.2.3',
  user_agent: 'test',
  result: 'success',
  reason: null,
  prev_hash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  key_id: 'k1',
};

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Reads octet-counted frames back (RFC 5425 §4.3) the way a collector does. */
function unframe(stream: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let offset = 0;
  while (offset < stream.length) {
    const space = stream.indexOf(0x20, offset);
    const length = Number(stream.subarray(offset, space).toString('ascii'));
    messages.push(stream.subarray(space + 1, space + 1 + length));
    offset = space + 1 + length;
  }
  return messages;
}

describe('RFC 5424 messages of audit rows', () => {
  it('frames by the length in octets, not characters, so multibyte text and newlines survive', () => {
    const first = auditRowSyslogMessage(row, origin);
    const second = auditRowSyslogMessage({ ...row, id: 43, username: '王 小東' }, origin);
    const frame = octetCountedFrame(first);
    expect(frame.subarray(0, frame.indexOf(0x20)).toString()).toBe(String(first.length));
    // The DICOM message has newlines and UTF-8: the length must count bytes.
    expect(first.length).toBeGreaterThan(first.toString('utf8').length);
    expect(unframe(Buffer.concat([frame, octetCountedFrame(second)]))).toEqual([first, second]);
  });

  it('writes PRI authpriv with severity by outcome, the header, structured data with the row id and hash, then BOM and the DICOM audit message', () => {
    const message = auditRowSyslogMessage(row, origin);
    const text = message.toString('utf8');
    // facility 10 × 8 + severity 5 (notice) for a success.
    expect(text.startsWith('<85>1 2026-11-27T10:00:00.123Z gate-1.hospital.example reading-station 4242 IHE+RFC-3881 ')).toBe(true);
    expect(text).toContain(`[rsAudit@32473 id="42" hash="${'b'.repeat(64)}" keyId="k1" action="DICOM_ACCESS" result="success"] `);
    const bomAt = message.indexOf(BOM);
    expect(message.subarray(bomAt + 3).toString('utf8')).toBe(toDicomAuditMessage(row, { id: origin.hostname }));
    // A refusal or an error: warning (84).
    expect(auditRowSyslogMessage({ ...row, result: 'denied' }, origin).toString().slice(0, 5)).toBe('<84>1');
    expect(auditRowSyslogMessage({ ...row, result: 'error' }, origin).toString().slice(0, 5)).toBe('<84>1');
  });

  it('escapes ", \\ and ] in SD-PARAM values and nothing else', () => {
    expect(sdParamValue('a"b\\c]d[e=f é')).toBe('a\\"b\\\\c\\]d[e=f é');
    const message = formatSyslogMessage(
      { facility: 10, severity: 5, timestamp: row.at, msgId: 'X', structuredData: [{ name: 'rsAudit', params: { reason: 'x"] [evil@1 a="b"]\\', empty: null } }], msg: 'm' },
      origin,
    ).toString('utf8');
    expect(message).toContain('[rsAudit@32473 reason="x\\"\\] [evil@1 a=\\"b\\"\\]\\\\"] ');
    // Parsed back as a collector would: one element, the value unescaped to what was given.
    const sd = /\[rsAudit@32473 reason="((?:[^"\\\]]|\\["\\\]])*)"\]/.exec(message);
    expect(sd?.[1]?.replace(/\\(["\\\]])/g, '$1')).toBe('x"] [evil@1 a="b"]\\');
    expect(message).not.toContain('empty=');
  });

  it('keeps header fields printable ASCII without spaces, within their lengths, "-" when empty', () => {
    expect(headerField('gate one\n', 255)).toBe('gate_one_');
    expect(headerField('ü', 48)).toBe('_');
    expect(headerField('', 48)).toBe('-');
    expect(headerField('x'.repeat(300), 255)).toHaveLength(255);
    const message = formatSyslogMessage({ facility: 10, severity: 5, timestamp: row.at, msgId: 'IHE+RFC-3881', structuredData: [], msg: '' }, { ...origin, hostname: 'a b', appName: '' });
    expect(message.toString('utf8')).toBe(`<85>1 ${row.at} a_b - 4242 IHE+RFC-3881 - \ufeff`);
  });

  it('sends the chain head as its own message', () => {
    const text = anchorSyslogMessage({ id: 9, hash: 'c'.repeat(64) }, new Date('2026-11-27T11:00:00.000Z'), origin).toString('utf8');
    expect(text.startsWith('<85>1 2026-11-27T11:00:00.000Z gate-1.hospital.example reading-station 4242 RS-AUDIT-ANCHOR ')).toBe(true);
    expect(text).toContain(`[rsAnchor@32473 id="9" hash="${'c'.repeat(64)}"] \ufeff{"at":"2026-11-27T11:00:00.000Z","id":9,`);
  });
});
