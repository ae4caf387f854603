/**
 * An error the operator can act on. The CLI prints its message alone (no stack trace) and exits 1;
 * the message says what happened and what to do.
 */
export class StackError extends Error {
  override readonly name = 'StackError';
}
