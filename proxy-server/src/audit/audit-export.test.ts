import { describe, expect, it } from 'vitest';
import type { AuditLogRow } from '../db/schema.ts';
import { toDicomAuditMessage, toFhirAuditEvent } from './audit-export.ts';

const access: AuditLogRow = {
  id: 42,
  at: '2026-11-27T10:00:00.000Z',
  request_id: 'req-1',
  user_id: 7,
  username: 'rad.chen',
  role: 'radiologist',
  action: 'DICOM_ACCESS',
  study_uid: '1.2.840.1',
  series_uid: '1.2.840.2',
  instance_uid: '1.2.840.3',
  route_kind: 'instance.frames',
  client_ip: '10.1.2.3',
  user_agent: 'test',
  result: 'success',
  reason: null,
  prev_hash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  key_id: null,
};

describe('audit export', () => {
  it('writes a DICOM PS3.15 audit message: instances accessed, by whom, from where, which study', () => {
    const message = toDicomAuditMessage(access, { id: 'gate-1' });
    expect(message).toMatch(/^<AuditMessage>/);
    expect(message).toContain('<EventIdentification EventActionCode="R" EventDateTime="2026-11-27T10:00:00.000Z" EventOutcomeIndicator="0">');
    expect(message).toContain('<EventID csd-code="110103" codeSystemName="DCM" originalText="DICOM Instances Accessed"/>');
    expect(message).toContain('UserID="rad.chen"');
    expect(message).toContain('NetworkAccessPointID="10.1.2.3"');
    expect(message).toContain('<ParticipantObjectIdentification ParticipantObjectID="1.2.840.1" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="3">');
    expect(message).toContain('csd-code="110180"');
    expect(message).toContain('<AuditSourceIdentification AuditSourceID="gate-1"/>');
  });

  it('escapes what users typed', () => {
    const message = toDicomAuditMessage({ ...access, action: 'LOGIN_FAILED', result: 'failure', username: '<x" onload="y>', study_uid: null, reason: 'a & b' }, { id: 'g' });
    expect(message).toContain('UserID="&lt;x&quot; onload=&quot;y&gt;"');
    expect(message).toContain('EventOutcomeIndicator="4"');
    expect(message).toContain('<EventTypeCode csd-code="110122" codeSystemName="DCM" originalText="Login"/>');
    expect(message).toContain('<EventOutcomeDescription>a &amp; b</EventOutcomeDescription>');
  });

  it('writes a FHIR R4 AuditEvent with the study as entity and the chain hash', () => {
    const event = toFhirAuditEvent({ ...access, action: 'DICOM_ACCESS_DENIED', result: 'denied', reason: 'STUDY_FORBIDDEN: permission denied' }, { id: 'gate-1' });
    expect(event).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110103' },
      action: 'R',
      recorded: '2026-11-27T10:00:00.000Z',
      outcome: '4',
      outcomeDesc: 'STUDY_FORBIDDEN: permission denied',
      agent: [{ who: { identifier: { value: 'rad.chen' } }, requestor: true, network: { address: '10.1.2.3', type: '2' } }],
      source: { site: 'gate-1' },
    });
    const entities = event.entity as Array<{ what: { identifier: { value: string } }; detail: Array<{ type: string; valueString: string }> }>;
    expect(entities[0]?.what.identifier.value).toBe('urn:oid:1.2.840.1');
    expect(entities[1]?.detail).toContainEqual({ type: 'hash', valueString: 'b'.repeat(64) });
  });
});
