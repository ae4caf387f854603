/** Who a user is to the hospital; the study access policy decides what each may see. */
export const ROLES = ['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
