/**
 * Times as people read them: in the viewer's IANA time zone (users.time_zone, else the browser's `tz` cookie, else
 * UTC), relative ("3 hours ago", "yesterday", "2 Dec") with the exact moment and zone for the title. Pages render
 * many times each: the Intl formatters are built once per zone and kept.
 */

/** The zone used when nothing better is known. */
export const FALLBACK_TIME_ZONE = 'UTC';
/** IANA names are short ("America/Argentina/ComodRivadavia" is among the longest): users.time_zone is varchar(64). */
export const TIME_ZONE_MAX_LENGTH = 64;

const LOCALE = 'en-GB';
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

let zoneList: string[] | null = null;
/** Every zone this runtime knows, for the account page's select (UTC first). */
export function timeZoneList(): string[] {
  zoneList ??= [FALLBACK_TIME_ZONE, ...Intl.supportedValuesOf('timeZone').filter((z) => z !== FALLBACK_TIME_ZONE)];
  return zoneList;
}

const canonical = new Map<string, string | null>();
/**
 * The zone's name as the runtime spells it, or null when it is not a time zone. Browsers report aliases
 * ("Asia/Calcutta", "Europe/Kiev") that `Intl.supportedValuesOf` leaves out: asking `Intl.DateTimeFormat` accepts
 * every name it can format with. Results are cached (the input is bounded by the pattern: at most 64 characters).
 */
export function canonicalTimeZone(name: string): string | null {
  if (!ZONE_NAME.test(name)) {
    return null;
  }
  const known = canonical.get(name);
  if (known !== undefined) {
    return known;
  }
  let result: string | null;
  try {
    result = new Intl.DateTimeFormat(LOCALE, { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    result = null;
  }
  if (canonical.size < 2000) {
    canonical.set(name, result);
  }
  return result;
}

interface ZoneFormatters {
  exact: Intl.DateTimeFormat;
  day: Intl.DateTimeFormat;
  dayYear: Intl.DateTimeFormat;
  ymd: Intl.DateTimeFormat;
}

const formatters = new Map<string, ZoneFormatters>();
function formattersFor(zone: string): ZoneFormatters {
  let f = formatters.get(zone);
  if (!f) {
    f = {
      exact: new Intl.DateTimeFormat(LOCALE, {
        timeZone: zone,
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
        timeZoneName: 'short',
      }),
      day: new Intl.DateTimeFormat(LOCALE, { timeZone: zone, day: 'numeric', month: 'short' }),
      dayYear: new Intl.DateTimeFormat(LOCALE, { timeZone: zone, day: 'numeric', month: 'short', year: 'numeric' }),
      ymd: new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }),
    };
    formatters.set(zone, f);
  }
  return f;
}

const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto' });

/** "Sat, 5 Dec 2026, 16:30 CET": the moment to the minute, with its zone. */
export function formatExact(ms: number, zone: string): string {
  return formattersFor(zone).exact.format(ms);
}

/** The calendar day of `ms` in `zone` as a day number (days since 1970-01-01), to count "yesterday". */
function dayNumber(ms: number, zone: string): number {
  return Math.round(Date.parse(`${formattersFor(zone).ymd.format(ms)}T00:00:00Z`) / 86_400_000);
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long ago (or until) `ms` is from `now`, as a person says it: "just now", "12 minutes ago", "3 hours ago",
 * "yesterday", "4 days ago", "2 Dec", "2 Dec 2025"; the future likewise ("in 5 minutes", "tomorrow").
 */
export function formatRelative(ms: number, now: number, zone: string): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < MINUTE) {
    return 'just now';
  }
  if (abs < HOUR) {
    return relative.format(Math.trunc(diff / MINUTE), 'minute');
  }
  const days = dayNumber(ms, zone) - dayNumber(now, zone);
  if (abs < 12 * HOUR || (days === 0 && abs < 24 * HOUR)) {
    return relative.format(Math.trunc(diff / HOUR), 'hour');
  }
  if (Math.abs(days) < 7) {
    return relative.format(days, 'day');
  }
  const f = formattersFor(zone);
  const sameYear = f.ymd.format(ms).slice(0, 4) === f.ymd.format(now).slice(0, 4);
  return (sameYear ? f.day : f.dayYear).format(ms);
}

/** "3 hours", "2 days", "1 minute": a span, for "Waiting for …". */
export function formatDuration(spanMs: number): string {
  const span = Math.max(0, spanMs);
  const [value, unit] =
    span < HOUR
      ? [Math.max(1, Math.floor(span / MINUTE)), 'minute']
      : span < 48 * HOUR
        ? [Math.floor(span / HOUR), 'hour']
        : [Math.floor(span / (24 * HOUR)), 'day'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}
