// The public surface of @reading-station/proxy-server for other workspaces (the stack runner, tests):
// configuration, the registry database, the access policy, DICOM import and the app factory.

export { ConfigError, DEFAULT_SQLITE_FILENAME, LOG_LEVELS, configSchema, loadConfig } from './config.ts';
export type { Config, ConfigInput, DatabaseConfig, LoadConfigOptions, LogLevel } from './config.ts';

export { createDatabase, dialectOf, pingDatabase } from './db/database.ts';
export type { DialectName, RsDatabase } from './db/database.ts';
export { MigrationError, migrateToLatest, pendingMigrations } from './db/migrations.ts';
export type { AuditLogTable, Database, PatientsTable, RefreshTokensTable, StudiesTable, UsersTable } from './db/schema.ts';

export { RegistryError } from './registry-error.ts';
export type { RegistryErrorCode } from './registry-error.ts';

export { ROLES, isRole } from './users/roles.ts';
export type { Role } from './users/roles.ts';
export { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './users/passwords.ts';
export { normalizeUsername } from './users/username.ts';
export { createUser, findUserById, findUserByUsername, setUserDisabled, verifyCredentials } from './users/user-repository.ts';
export type { CredentialCheck, NewUser, User } from './users/user-repository.ts';

export { findPatientById, findPatientByPatientId, linkPatientUser, upsertPatient } from './patients/patient-repository.ts';
export type { Patient, PatientAttributes } from './patients/patient-repository.ts';

export { STUDY_STATUSES } from './studies/study-status.ts';
export type { StudyStatus } from './studies/study-status.ts';
export { assignStudy, findStudyByUid, listStudies, listStudiesVisibleTo, upsertImportedStudy } from './studies/study-repository.ts';
export type { ImportedStudy, ListStudiesOptions, Study, StudyAssignment } from './studies/study-repository.ts';

export { canAccessStudy } from './policy/study-access-policy.ts';
export type { StudyAccessSubject, StudyAccessTarget } from './policy/study-access-policy.ts';

export { DicomHeaderError, isDicomPart10, readDicomHeader } from './dicom/dicom-header.ts';
export type { DicomInstanceHeader } from './dicom/dicom-header.ts';
export { OrthancClient, OrthancError } from './orthanc/orthanc-client.ts';
export type { OrthancClientOptions, OrthancConnection, StoredInstance, StudyStatistics } from './orthanc/orthanc-client.ts';
export { importDicomFiles } from './orthanc/import.ts';
export type { ImportFailure, ImportOptions, ImportProgress, ImportSummary } from './orthanc/import.ts';

export { buildServer } from './app.ts';
export type { CoreServices, RoutePlugin, ServerDeps } from './app.ts';
export { HttpError, sendErrorBody } from './http/http-errors.ts';
export type { ErrorBody } from './http/http-errors.ts';
export { createClientAddressResolver } from './http/client-address.ts';
export type { ClientAddressResolver } from './http/client-address.ts';

export { runCli } from './cli/program.ts';
export type { CliIo } from './cli/program.ts';
