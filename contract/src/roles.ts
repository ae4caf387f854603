import { z } from 'zod';

/**
 * Who a user is to the hospital. The gate's study access policy decides what each may see
 * (admin: all; doctor and radiologist: the studies they ordered or read; patient: their own;
 * nurse and lab: none). Tokens, the registry, the demo cohort and both hosts use this one list.
 */
export const ROLES = ['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab'] as const;
export type Role = (typeof ROLES)[number];

export const roleSchema = z.enum(ROLES);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
