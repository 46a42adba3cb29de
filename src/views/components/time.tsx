/** "2026-12-05 07:30 UTC": every date in the app, in one format. */
export function formatWhen(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A moment in time, machine-readable in `datetime`; null shows a dash. */
export function When({ ms }: { ms: number | null }) {
  if (ms === null) {
    return <span class="muted">—</span>;
  }
  return <time datetime={new Date(ms).toISOString()}>{formatWhen(ms)}</time>;
}
