/**
 * How the viewer spreads image loading over the machine: how many decode workers, how many
 * prefetches in flight, and in which order a series is prefetched. Pure, so the rules are tested
 * without a browser.
 */

/** More workers than this only cost memory (each holds its own WASM codecs). */
export const MAX_DECODE_WORKERS = 8;

/**
 * Decode workers for a machine with `hardwareConcurrency` logical cores: every core but one (the
 * page itself draws and runs the UI), and never fewer than two, so the frame on screen has a
 * worker to go to while another is busy with a prefetched slice. Unknown core counts get two.
 */
export function decodeWorkerCount(hardwareConcurrency: number | undefined): number {
  const cores = Number.isFinite(hardwareConcurrency) && (hardwareConcurrency ?? 0) >= 1 ? Math.floor(hardwareConcurrency ?? 0) : 2;
  return Math.max(2, Math.min(MAX_DECODE_WORKERS, cores - 1));
}

/** Connections a browser opens to one host over HTTP/1.1; requests beyond them wait in its queue. */
export const BROWSER_CONNECTIONS_PER_HOST = 6;

/**
 * Prefetched slices in flight at once (each is fetched, then decoded): enough to keep the
 * browser's connections to the server busy and every worker decoding, as fetching a frame
 * through the gate takes longer than decoding it. The rest wait in Cornerstone's queue, where the
 * frame the reader asks for goes first and a closed study's prefetch can be dropped, instead of
 * in the browser's, where neither is possible.
 */
export function prefetchConcurrency(workers: number): number {
  return BROWSER_CONNECTIONS_PER_HOST + Math.max(1, workers);
}

/**
 * Indices of a series in prefetch order: outward from the slice on screen (the neighbours are
 * what the reader scrolls to first), the lower index first at equal distance. The slice on screen
 * itself is not in it: the viewport loads that one.
 */
export function prefetchOrder(count: number, current: number): number[] {
  const order: number[] = [];
  if (count <= 0) return order;
  const start = Math.max(0, Math.min(count - 1, Math.round(current)));
  for (let distance = 1; order.length < count - 1; distance++) {
    if (start - distance >= 0) order.push(start - distance);
    if (start + distance < count) order.push(start + distance);
  }
  return order;
}
