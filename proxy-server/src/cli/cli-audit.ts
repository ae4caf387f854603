import { userInfo } from 'node:os';
import type { ChangeAudit } from '../audit/audit-actor.ts';
import { loadAuditKeys } from '../audit/audit-keys.ts';
import type { Config } from '../config-schema.ts';
import { CLI_NAME } from './context.ts';

/**
 * How the admin CLI audits a registry change: the row names the CLI and the operating-system
 * account that ran it, and is chained with the gate's audit key (the configuration's audit.keyFile)
 * so `audit verify` checks it like any other row.
 */
export function cliChangeAudit(config: Config): ChangeAudit {
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry for this uid (a container): the row still says it came from the CLI.
  }
  return { actor: { username: `${CLI_NAME}:${osUser}`, role: 'admin' }, keys: loadAuditKeys(config.audit?.keyFile) };
}
