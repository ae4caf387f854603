import { describe, expect, it } from 'vitest';
import { ROLES, isRole, roleSchema } from './roles.ts';

describe('roles', () => {
  it('lists every role once', () => {
    expect(ROLES).toEqual(['admin', 'radiologist', 'doctor', 'patient', 'nurse', 'lab']);
  });

  it('tells roles from other values', () => {
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    for (const other of ['Admin', 'root', '', ' radiologist', 42, null, undefined]) expect(isRole(other)).toBe(false);
    expect(roleSchema.safeParse('nurse').success).toBe(true);
    expect(roleSchema.safeParse('janitor').success).toBe(false);
  });
});
