/**
 * Who a user is to the hospital; the study access policy decides what each may see. The list is
 * the contract's (contract/src/roles.ts), one for the gate, both hosts, the demo cohort and the
 * tests; the gate's modules import it from here.
 */
export { ROLES, isRole } from '@reading-station/contract';
export type { Role } from '@reading-station/contract';
