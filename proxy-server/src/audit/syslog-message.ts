import type { AuditLogRow } from '../db/schema.ts';
import type { AuditAnchorEntry } from './audit-anchor.ts';
import { dicomEventOutcome, toDicomAuditMessage } from './audit-export.ts';

/**
 * Audit rows as syslog messages for an ATNA audit repository (IHE ITI-20): RFC 5424 messages
 * carrying the DICOM PS3.15 A.5 audit message, framed for TLS by octet counting (RFC 5425 §4.3:
 * `MSG-LEN SP SYSLOG-MSG`, the length in octets). Pure functions: the forwarder
 * (syslog-forwarder.ts) decides what is sent when.
 */

/** Facility 10, security/authorization (authpriv), as IHE ITI-20 asks of audit messages. */
export const FACILITY_AUTHPRIV = 10;
/** Severities used: 5 notice (a normal audit event), 4 warning (a refusal or failure). */
export const SEVERITY_NOTICE = 5;
export const SEVERITY_WARNING = 4;

/** IHE ITI-20's MSGID for an audit message in the RFC 3881 / DICOM PS3.15 schema. */
export const AUDIT_MSGID = 'IHE+RFC-3881';
/** MSGID of the chain head sent beside the events (the anchor). */
export const ANCHOR_MSGID = 'RS-AUDIT-ANCHOR';

/** The UTF-8 byte order mark that says MSG is UTF-8 (RFC 5424 §6.4). */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const NILVALUE = '-';

export interface SyslogOrigin {
  /** HOSTNAME, and the AuditSourceID of the DICOM message. */
  hostname: string;
  /** APP-NAME. */
  appName: string;
  /** PROCID (the gate's process id). */
  procId: string;
  /** The IANA Private Enterprise Number in the SD-IDs (`rsAudit@<number>`). */
  enterpriseId: number;
}

export interface StructuredElement {
  /** SD-NAME; `@<enterpriseId>` is added. */
  name: string;
  params: Record<string, string | number | null | undefined>;
}

export interface SyslogMessage {
  facility: number;
  severity: number;
  /** RFC 3339 with at most 6 fractional digits (what `Date#toISOString()` writes). */
  timestamp: string;
  msgId: string;
  structuredData: readonly StructuredElement[];
  /** Sent as UTF-8 after a BOM. */
  msg: string;
}

/**
 * A header field (HOSTNAME, APP-NAME, PROCID, MSGID) is 1 to `max` printable US-ASCII characters
 * without spaces (RFC 5424 §6): anything else is replaced by `_`, an empty field becomes the NILVALUE.
 */
export function headerField(value: string, max: number): string {
  const cleaned = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return cleaned === '' ? NILVALUE : cleaned;
}

/** SD-NAME and PARAM-NAME: printable US-ASCII except `=`, space, `]` and `"`, at most 32 (RFC 5424 §6.3.2). */
function sdName(value: string): string {
  const cleaned = value.replace(/[^\x21-\x7e]|[=\]"]/g, '_').slice(0, 32);
  if (cleaned === '') throw new Error('an SD-NAME cannot be empty');
  return cleaned;
}

/** A PARAM-VALUE: `"`, `\` and `]` must be escaped with a backslash (RFC 5424 §6.3.3); UTF-8 otherwise. */
export function sdParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (ch) => `\\${ch}`);
}

function structuredData(elements: readonly StructuredElement[], enterpriseId: number): string {
  if (elements.length === 0) return NILVALUE;
  return elements
    .map(({ name, params }) => {
      const pairs = Object.entries(params)
        .filter((entry): entry is [string, string | number] => entry[1] !== null && entry[1] !== undefined)
        .map(([key, value]) => ` ${sdName(key)}="${sdParamValue(String(value))}"`)
        .join('');
      return `[${sdName(name)}@${enterpriseId}${pairs}]`;
    })
    .join('');
}

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD BOM MSG`. */
export function formatSyslogMessage(message: SyslogMessage, origin: SyslogOrigin): Buffer {
  const head = [
    `<${message.facility * 8 + message.severity}>1`,
    headerField(message.timestamp, 64),
    headerField(origin.hostname, 255),
    headerField(origin.appName, 48),
    headerField(origin.procId, 128),
    headerField(message.msgId, 32),
    structuredData(message.structuredData, origin.enterpriseId),
  ].join(' ');
  return Buffer.concat([Buffer.from(`${head} `, 'utf8'), BOM, Buffer.from(message.msg, 'utf8')]);
}

/** RFC 5425 §4.3 octet-counting framing: the message's length in octets, a space, the message. */
export function octetCountedFrame(message: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/** The syslog message of one audit row: its id and chain hash in structured data, its DICOM audit message as MSG. */
export function auditRowSyslogMessage(row: AuditLogRow, origin: SyslogOrigin): Buffer {
  return formatSyslogMessage(
    {
      facility: FACILITY_AUTHPRIV,
      severity: dicomEventOutcome(row) === '0' ? SEVERITY_NOTICE : SEVERITY_WARNING,
      timestamp: row.at,
      msgId: AUDIT_MSGID,
      // The row id lets the repository drop the copies a reconnect may resend (at-least-once).
      structuredData: [{ name: 'rsAudit', params: { id: row.id, hash: row.hash, keyId: row.key_id, action: row.action, result: row.result } }],
      msg: toDicomAuditMessage(row, { id: origin.hostname }),
    },
    origin,
  );
}

/** The chain head (row id and hash) sent beside the events, as the anchor file records it. */
export function anchorSyslogMessage(head: AuditAnchorEntry, at: Date, origin: SyslogOrigin): Buffer {
  return formatSyslogMessage(
    {
      facility: FACILITY_AUTHPRIV,
      severity: SEVERITY_NOTICE,
      timestamp: at.toISOString(),
      msgId: ANCHOR_MSGID,
      structuredData: [{ name: 'rsAnchor', params: { id: head.id, hash: head.hash } }],
      msg: JSON.stringify({ at: at.toISOString(), id: head.id, hash: head.hash }),
    },
    origin,
  );
}
