/**
 * Fires `n` requests at the same moment, not one after another: every request is created behind one gate
 * and released together, so the server sees them all in flight at once (in-process through app.inject, or
 * over real HTTP to one or several processes). Use it for every test that attacks a counter, a limit, a
 * token or a "check, then act".
 */
export async function atOnce<T>(n: number, make: (i: number) => Promise<T>): Promise<T[]> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const pending = Array.from({ length: n }, (_, i) => gate.then(() => make(i)));
  release();
  return Promise.all(pending);
}

/** How many responses had each status, e.g. { 401: 39, 303: 1 }. */
export function statusCounts(
  responses: ReadonlyArray<{ statusCode?: number; status?: number }>,
): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) {
    const code = r.statusCode ?? r.status ?? 0;
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}
