// What the gate hands to the audit log, and the contract of any store that takes it.

export const AUDIT_ACTIONS = [
  'DICOM_ACCESS',
  'DICOM_ACCESS_DENIED',
  'DICOM_QUERY',
  'DICOM_BAD_REQUEST',
  'LOGIN',
  'LOGIN_FAILED',
  'LOGIN_LOCKED_OUT',
  'TOKEN_REFRESH',
  'TOKEN_REFRESH_FAILED',
  'TOKEN_REUSE_DETECTED',
  'TOKEN_REJECTED',
  'LOGOUT',
  'WORKLIST_QUERY',
  'STUDY_ASSIGNMENT',
  'PHYSICIAN_MAPPED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  action: AuditAction;
  result: 'success' | 'failure' | 'denied' | 'error';
  requestId?: string | undefined;
  userId?: number | undefined;
  username?: string | undefined;
  role?: string | undefined;
  studyUid?: string | undefined;
  seriesUid?: string | undefined;
  instanceUid?: string | undefined;
  routeKind?: string | undefined;
  clientIp?: string | undefined;
  userAgent?: string | undefined;
  reason?: string | undefined;
}

/** Anything that durably appends audit events: the gate depends on this, not on a store. */
export interface AuditAppender {
  /** Resolves with the row id once the row is committed; rejects with AuditUnavailableError. */
  append(event: AuditEvent): Promise<number>;
}

export interface TimedAuditEvent {
  event: AuditEvent;
  /** ISO 8601, taken when the event was handed in. */
  at: string;
}

/** Raised when the audit store cannot take a row; the gate answers 503 and serves nothing. */
export class AuditUnavailableError extends Error {
  override readonly name = 'AuditUnavailableError';
}
