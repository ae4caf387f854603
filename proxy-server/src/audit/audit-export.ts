import type { AuditLogRow } from '../db/schema.ts';
import { auditText, auditTextFields } from './audit-text.ts';

/**
 * Audit rows in the two forms hospital audit repositories take: DICOM PS3.15 Annex A.5 audit
 * messages (the XML of IHE ATNA / RFC 3881) and HL7 FHIR R4 AuditEvent resources. Both carry the
 * row's id and hash so an exported event can be checked against the hash chain.
 */

const DCM = 'DCM';
const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';

interface Coded {
  code: string;
  display: string;
}

interface EventCoding {
  id: Coded;
  type?: Coded;
  action: 'C' | 'R' | 'U' | 'D' | 'E';
}

const EVENTS: Record<string, EventCoding> = {
  DICOM_ACCESS: { id: { code: '110103', display: 'DICOM Instances Accessed' }, action: 'R' },
  DICOM_ACCESS_DENIED: { id: { code: '110103', display: 'DICOM Instances Accessed' }, action: 'R' },
  DICOM_BAD_REQUEST: { id: { code: '110103', display: 'DICOM Instances Accessed' }, action: 'R' },
  DICOM_QUERY: { id: { code: '110112', display: 'Query' }, action: 'E' },
  WORKLIST_QUERY: { id: { code: '110112', display: 'Query' }, action: 'E' },
  LOGIN: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110122', display: 'Login' }, action: 'E' },
  LOGIN_FAILED: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110122', display: 'Login' }, action: 'E' },
  LOGIN_LOCKED_OUT: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110122', display: 'Login' }, action: 'E' },
  LOGOUT: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110123', display: 'Logout' }, action: 'E' },
  TOKEN_REFRESH: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110122', display: 'Login' }, action: 'E' },
  TOKEN_REFRESH_FAILED: { id: { code: '110114', display: 'User Authentication' }, type: { code: '110122', display: 'Login' }, action: 'E' },
  TOKEN_REUSE_DETECTED: { id: { code: '110113', display: 'Security Alert' }, action: 'E' },
  TOKEN_REJECTED: { id: { code: '110114', display: 'User Authentication' }, action: 'E' },
  // Who may see a study changes with its assignments.
  STUDY_ASSIGNMENT: { id: { code: '110136', display: 'Security Roles Changed' }, action: 'U' },
  PHYSICIAN_MAPPED: { id: { code: '110136', display: 'Security Roles Changed' }, action: 'U' },
};

function eventFor(row: AuditLogRow): EventCoding {
  return EVENTS[row.action] ?? { id: { code: '110113', display: 'Security Alert' }, action: 'E' };
}

/** RFC 3881 / PS3.15 outcome: 0 success, 4 minor failure (refused), 8 serious failure. */
export function dicomEventOutcome(row: Pick<AuditLogRow, 'result'>): '0' | '4' | '8' {
  if (row.result === 'success') return '0';
  if (row.result === 'error') return '8';
  return '4';
}

/** Escaped for XML 1.0 text and attributes; characters XML cannot carry are dropped (audit-text.ts). */
function xml(value: string): string {
  return auditText(value).replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] as string);
}

function attributes(values: Record<string, string | null | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== null && entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${xml(value)}"`)
    .join('');
}

/** One PS3.15 A.5 `AuditMessage` element per row. */
export function toDicomAuditMessage(stored: AuditLogRow, source: { id: string }): string {
  // Rows stored before text was normalised on append may hold control characters: normalised here too.
  const row = auditTextFields(stored);
  const event = eventFor(row);
  const lines = [
    '<AuditMessage>',
    `  <EventIdentification${attributes({ EventActionCode: event.action, EventDateTime: row.at, EventOutcomeIndicator: dicomEventOutcome(row) })}>`,
    `    <EventID${attributes({ 'csd-code': event.id.code, codeSystemName: DCM, originalText: event.id.display })}/>`,
    ...(event.type ? [`    <EventTypeCode${attributes({ 'csd-code': event.type.code, codeSystemName: DCM, originalText: event.type.display })}/>`] : []),
    ...(row.reason ? [`    <EventOutcomeDescription>${xml(row.reason)}</EventOutcomeDescription>`] : []),
    '  </EventIdentification>',
    `  <ActiveParticipant${attributes({
      UserID: row.username ?? 'unknown',
      AlternativeUserID: row.user_id === null ? undefined : String(row.user_id),
      UserName: row.role ? `${row.username ?? 'unknown'} (${row.role})` : undefined,
      UserIsRequestor: 'true',
      NetworkAccessPointID: row.client_ip,
      NetworkAccessPointTypeCode: row.client_ip ? '2' : undefined,
    })}/>`,
    `  <AuditSourceIdentification${attributes({ AuditSourceID: source.id })}/>`,
  ];
  if (row.study_uid) {
    lines.push(
      `  <ParticipantObjectIdentification${attributes({ ParticipantObjectID: row.study_uid, ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '3' })}>`,
      `    <ParticipantObjectIDTypeCode${attributes({ 'csd-code': '110180', codeSystemName: DCM, originalText: 'Study Instance UID' })}/>`,
      ...(row.series_uid || row.instance_uid
        ? [
            `    <ParticipantObjectDescription>${xml(
              [row.series_uid && `series ${row.series_uid}`, row.instance_uid && `instance ${row.instance_uid}`, row.route_kind && `(${row.route_kind})`]
                .filter(Boolean)
                .join(' '),
            )}</ParticipantObjectDescription>`,
          ]
        : []),
      '  </ParticipantObjectIdentification>',
    );
  }
  lines.push(
    `  <ParticipantObjectIdentification${attributes({ ParticipantObjectID: String(row.id), ParticipantObjectTypeCode: '2', ParticipantObjectTypeCodeRole: '13' })}>`,
    `    <ParticipantObjectIDTypeCode${attributes({ 'csd-code': '12', codeSystemName: 'RFC-3881', originalText: 'URI' })}/>`,
    `    <ParticipantObjectName>${xml(`reading-station audit row ${row.id}`)}</ParticipantObjectName>`,
    `    <ParticipantObjectDetail${attributes({ type: 'hash', value: Buffer.from(row.hash).toString('base64') })}/>`,
    '  </ParticipantObjectIdentification>',
    '</AuditMessage>',
  );
  return lines.join('\n');
}

/** A FHIR R4 AuditEvent resource for a row. */
export function toFhirAuditEvent(stored: AuditLogRow, source: { id: string }): Record<string, unknown> {
  const row = auditTextFields(stored);
  const event = eventFor(row);
  return {
    resourceType: 'AuditEvent',
    id: `rs-audit-${row.id}`,
    type: { system: DCM_SYSTEM, code: event.id.code, display: event.id.display },
    ...(event.type ? { subtype: [{ system: DCM_SYSTEM, code: event.type.code, display: event.type.display }] } : {}),
    action: event.action,
    recorded: row.at,
    outcome: dicomEventOutcome(row),
    ...(row.reason ? { outcomeDesc: row.reason } : {}),
    agent: [
      {
        type: { coding: [{ system: DCM_SYSTEM, code: '110153', display: 'Source Role ID' }] },
        who: {
          identifier: { value: row.username ?? 'unknown' },
          ...(row.username ? { display: row.role ? `${row.username} (${row.role})` : row.username } : {}),
        },
        ...(row.user_id !== null ? { altId: String(row.user_id) } : {}),
        requestor: true,
        ...(row.client_ip ? { network: { address: row.client_ip, type: '2' } } : {}),
      },
    ],
    source: { site: auditText(source.id), observer: { display: 'Reading Station DICOMweb gate' } },
    entity: [
      ...(row.study_uid
        ? [
            {
              what: { identifier: { system: 'urn:dicom:uid', value: `urn:oid:${row.study_uid}` } },
              type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '2', display: 'System Object' },
              role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '3', display: 'Report' },
              ...(row.route_kind ? { description: row.route_kind } : {}),
              detail: [
                ...(row.series_uid ? [{ type: 'SeriesInstanceUID', valueString: row.series_uid }] : []),
                ...(row.instance_uid ? [{ type: 'SOPInstanceUID', valueString: row.instance_uid }] : []),
              ],
            },
          ]
        : []),
      {
        what: { identifier: { value: `reading-station-audit-row-${row.id}` } },
        detail: [
          { type: 'hash', valueString: row.hash },
          ...(row.request_id ? [{ type: 'requestId', valueString: row.request_id }] : []),
        ],
      },
    ],
  };
}
