// Lower-case only, so `JDoe` and `jdoe` cannot be two accounts; `@` allows directory-style names.
const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** The canonical form of a username, as stored and looked up. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

export function isValidUsername(normalized: string): boolean {
  return USERNAME_PATTERN.test(normalized);
}
