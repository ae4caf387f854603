// The public surface of @reading-station/proxy-server for other workspaces: what the stack runner
// seeds the registry with, and what the bench times one gate decision with. The gate itself runs
// as a process (dist/main.js, built by the "./build" export); its HTTP API is the interface to it.

// The registry: the stack runner's first start and the bench's own test data.
export { loadConfig } from './config.ts';
export type { Config } from './config-schema.ts';
export { createDatabase } from './db/database.ts';
export type { RsDatabase } from './db/database.ts';
export { migrateToLatest } from './db/migrations.ts';
export { createUser, findUserById, findUserByUsername } from './users/user-repository.ts';
export type { NewUser, User } from './users/user-repository.ts';
export { assignStudy } from './studies/study-repository.ts';
export type { StudyAssignment } from './studies/study-repository.ts';
export { importIntoOrthanc, incompleteImport } from './orthanc/import.ts';
export type { ImportFailure, ImportOptions, RegistryOutcome, RegistryProgress, UploadProgress, UploadSummary } from './orthanc/import.ts';

// One decision's steps, for the bench's in-process breakdown (bench/src/profile/decision-breakdown.ts).
export { loadSigningKey } from './auth/signing-key.ts';
export { createTokenAuthenticator } from './auth/token-authenticator.ts';
export { RefreshTokenStore } from './auth/refresh-tokens.ts';
export { AuditLog } from './audit/audit-log.ts';
export type { AuditEvent } from './audit/audit-log.ts';
export { decideDicomWebRequest } from './dicomweb/dicomweb-gate.ts';
export { sqliteGateReads, type GateReads } from './gate-reads.ts';
export type { GateDecision } from './dicomweb/dicomweb-gate.ts';
