/** Cine's frame rate as typed: whole frames per second, 1 to 60. */
export const MIN_CINE_FPS = 1;
export const MAX_CINE_FPS = 60;

/**
 * The rate a frame-rate field's text stands for, or null while it stands for none (empty, `0`,
 * half typed): the field keeps what was typed and the rate stays as it was, so deleting a digit
 * never turns into another rate. Above 60 means 60.
 */
export function parseCineRate(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const fps = Number(trimmed);
  if (fps < MIN_CINE_FPS) return null;
  return Math.min(MAX_CINE_FPS, fps);
}
