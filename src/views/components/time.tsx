import { useContext } from 'preact/hooks';
import { FALLBACK_TIME_ZONE, formatExact, formatRelative } from '../../lib/time.ts';
import { PageContextHolder } from '../context.ts';

/**
 * A moment in time, in the viewer's time zone (from the page context): relative text ("3 hours ago", "yesterday",
 * "2 Dec") as of the render, the ISO instant in `datetime`, the exact time with its zone in `title`. null shows a dash.
 */
export function When({ ms }: { ms: number | null }) {
  const ctx = useContext(PageContextHolder);
  if (ms === null) {
    return <span class="muted">—</span>;
  }
  const zone = ctx?.timeZone ?? FALLBACK_TIME_ZONE;
  return (
    <time datetime={new Date(ms).toISOString()} title={formatExact(ms, zone)}>
      {formatRelative(ms, ctx?.now ?? Date.now(), zone)}
    </time>
  );
}
