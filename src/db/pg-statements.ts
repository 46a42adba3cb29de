import type pg from 'pg';

/**
 * PostgreSQL parses and plans every unnamed statement each time it runs; the app sends the same few dozen
 * statements over and over, and on the benchmark's ticket list parsing and planning was a quarter to a third of each
 * round trip. A named statement is prepared once per connection and then only executed (pg keeps track of which
 * connection has prepared what). Only plain data statements get a name, at most MAX_NAMED distinct texts per process
 * (texts that vary, such as an `in (…)` list of another length, fall back to unnamed once the budget is spent), and
 * never full-text searches: their best plan depends on how common the word is, which a generic plan cannot know.
 */
const MAX_NAMED = 400;
const names = new Map<string, string>();

function nameable(text: string): boolean {
  return /^\s*(select|insert|update|delete|with)\b/i.test(text) && !text.includes('@@');
}

export function statement(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED && nameable(text)) {
    name = `parapet_${names.size}`;
    names.set(text, name);
  }
  return name === undefined ? { text, values } : { name, text, values };
}
