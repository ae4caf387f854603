/**
 * A request to the registry (users, patients, studies) that cannot be carried out as asked.
 * The message is meant for the person who asked (CLI output, API error text); `code` is for code.
 */
export type RegistryErrorCode =
  | 'INVALID_USERNAME'
  | 'INVALID_DISPLAY_NAME'
  | 'INVALID_PASSWORD'
  | 'INVALID_PATIENT_ID'
  | 'INVALID_PHYSICIAN_NAME'
  | 'USERNAME_TAKEN'
  | 'USER_NOT_FOUND'
  | 'USER_DISABLED'
  | 'STUDY_NOT_FOUND'
  | 'ROLE_MISMATCH'
  | 'PATIENT_LINK_REQUIRED';

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;

  constructor(code: RegistryErrorCode, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
  }
}
