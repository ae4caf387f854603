/**
 * What the desktop test host (e2e/desktop-host/) takes from the desktop app, by package name
 * (`@reading-station/electron/desktop-host`): the app protocol's request handler and CSP, the app
 * origin, the preload's source transpiled as scripts/build.ts does it, and the host's main process
 * (host-main-process.ts). Not part of the build.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export { createAppRequestHandler } from '../../main/app-protocol.ts';
export { buildContentSecurityPolicy } from '../../main/content-security-policy.ts';
export { APP_HOST, APP_ORIGIN, APP_ENTRY_URL, isAppUrl } from '../../main/app-origin.ts';
export { SETTINGS_FILE_NAME } from '../../services/server-settings-store.ts';
export { VAULT_SERVICE, vaultAccountName } from '../../services/token-vault.ts';
export type { HostInbound, HostOutbound } from './host-main-process.ts';

/** The host's main process, for `child_process.fork`. */
export const HOST_MAIN_PROCESS = fileURLToPath(new URL('./host-main-process.ts', import.meta.url));

/** preload.ts as the sandboxed preload runs it: one CommonJS script (the options of scripts/build.ts). */
let preloadScript: string | undefined;

export function transpilePreload(): string {
  preloadScript ??= transpile();
  return preloadScript;
}

function transpile(): string {
  const source = fileURLToPath(new URL('../../preload/preload.ts', import.meta.url));
  return ts.transpileModule(readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false, removeComments: false },
  }).outputText;
}
export { startPrivateKeyring, type PrivateKeyring } from '../../../test/integration/support/private-keyring.ts';
export { loadKeytar } from '../../services/keytar-token-vault.ts';
export { KeychainUnavailableError } from '../../services/token-vault.ts';
