import type { AuditKeys } from './audit-keys.ts';
import type { AuditEvent } from './audit-events.ts';

/** Who made a registry change, as its audit row names them (an administrator's request, or the admin CLI). */
export type AuditActor = Pick<AuditEvent, 'userId' | 'username' | 'role' | 'requestId' | 'clientIp' | 'userAgent'>;

/** What a registry change needs to audit itself in its own transaction. */
export interface ChangeAudit {
  actor: AuditActor;
  keys?: AuditKeys;
  now?: Date;
}
