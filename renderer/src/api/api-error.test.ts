import { describe, expect, it } from 'vitest';
import { apiErrorFromStatus, apiErrorFromXhr } from './api-error.ts';

describe('API errors the viewer shows', () => {
  it('maps the gate’s statuses and codes to what the user can do', () => {
    expect(apiErrorFromStatus(401, { code: 'TOKEN_EXPIRED' })).toMatchObject({ code: 'SESSION_ENDED', remedy: 'sign-in', serverCode: 'TOKEN_EXPIRED' });
    expect(apiErrorFromStatus(403, { code: 'STUDY_FORBIDDEN', requestId: 'r1' })).toMatchObject({
      code: 'STUDY_FORBIDDEN',
      remedy: 'back-to-worklist',
      requestId: 'r1',
      message: 'You do not have permission for this study.',
    });
    expect(apiErrorFromStatus(404, { code: 'STUDY_NOT_FOUND' }).code).toBe('STUDY_NOT_FOUND');
    expect(apiErrorFromStatus(502, { code: 'PACS_UNREACHABLE' })).toMatchObject({ code: 'PACS_UNREACHABLE', remedy: 'retry' });
    expect(apiErrorFromStatus(504, null).message).toMatch(/^PACS unreachable/);
    expect(apiErrorFromStatus(502, { code: 'GATE_UNREACHABLE' }).code).toBe('SERVER_UNREACHABLE');
    expect(apiErrorFromStatus(503, { code: 'AUDIT_UNAVAILABLE' }).message).toMatch(/audit store is unavailable/);
    expect(apiErrorFromStatus(500, { code: 'INTERNAL' }).message).toContain('HTTP 500, INTERNAL');
  });

  it('reads the JSON body of a failed image request', () => {
    const body = new TextEncoder().encode(JSON.stringify({ error: 'x', code: 'STUDY_FORBIDDEN' })).buffer;
    expect(apiErrorFromXhr({ status: 403, response: body }).code).toBe('STUDY_FORBIDDEN');
    expect(apiErrorFromXhr({ status: 0, response: null }).code).toBe('SERVER_UNREACHABLE');
    expect(apiErrorFromXhr({ status: 502, response: new Uint8Array([60, 104]).buffer }).code).toBe('PACS_UNREACHABLE');
  });
});
