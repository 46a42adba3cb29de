import { Value } from '@sinclair/typebox/value';
import type { Static, TObject } from '@sinclair/typebox';

/** Shown above a list whose address carried a filter or page that could not be used (it was reset to the default). */
export const QUERY_RESET_NOTICE = 'Part of this address could not be used, so those filters were reset.';

/**
 * A list page's query, leniently: each parameter the schema knows is kept when it is valid (after the same
 * string → number conversion Fastify does) and dropped when it is not, so a mistyped or stale address shows
 * the list with defaults instead of an error. Parameters the schema does not know are dropped silently (as
 * Fastify's own validation drops them); `reset` says whether a known one was dropped, for a notice.
 * Routes using it declare `attachValidation: true`, so a failed check reaches the handler instead of an error page.
 */
export function lenientQuery<S extends TObject>(schema: S, query: unknown): { query: Static<S>; reset: boolean } {
  const input = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const kept: Record<string, unknown> = {};
  let reset = false;
  for (const [key, raw] of Object.entries(input)) {
    const field = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (!field) {
      continue;
    }
    const value = Value.Convert(field, raw);
    if (Value.Check(field, value)) {
      kept[key] = value;
    } else {
      reset = true;
    }
  }
  return { query: kept, reset };
}
