// The public surface of @reading-station/stack for other workspaces (e2e, bench, the gate's and the
// desktop's integration tests): where the repository is, the stack's settings, its state files
// (stack.json, demo-users.json), process helpers, nginx rendering, how the gate is launched, the
// Chromium that drives its web app, real DICOM samples and dcmtk as a modality, and the CLI that starts and stops it all. Starting a stack
// goes through that CLI, as an operator would; this module does not load the seeding code (the
// gate's registry, the demo generator).

import { fileURLToPath } from 'node:url';

/** The stack CLI: `node <stackCli> up|down|status|orthanc stop|start` (Node 24 runs the TypeScript as is). */
export const stackCli = fileURLToPath(new URL('./cli.ts', import.meta.url));

export { loadStackConfig, repoRoot } from './config.ts';
export type { StackConfig } from './config.ts';
export { stackLayout } from './layout.ts';
export type { StackLayout } from './layout.ts';

export { StackFileSchema, readStackFile } from './stack-file.ts';
export type { StackFile } from './stack-file.ts';
export { DemoUsersSchema, demoUser, runningStack } from './running-stack.ts';
export type { DemoUserLogin, RunningStack } from './running-stack.ts';

export { isRunning, stopProcess } from './processes.ts';
export type { StartedProcess } from './processes.ts';
export { locateNginx, renderNginxConfiguration, startNginx } from './nginx.ts';
export type { NginxSettings } from './nginx.ts';
export { gateMain, gateNodeFlags } from './gate.ts';
export { CHROMIUM_EXECUTABLE, CHROMIUM_FLAGS } from './chromium.ts';
export { AccessTokens, countAuditRows, runClosedLoop, summarise, viewerTargets } from './viewer-load.ts';
export type { ClosedLoopOptions, LoadRecord, LoadSummary, ViewerTargets } from './viewer-load.ts';
export { DEBIAN_PYTHON, echoscu, freshUidCopies, generateSmallStudies, pydicomDataDir, storescu } from './dicom-samples.ts';
export type { DcmtkResult, DicomPeer, SampleCopy } from './dicom-samples.ts';
