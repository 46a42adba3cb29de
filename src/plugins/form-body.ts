import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const decoder = new TextDecoder('utf-8', { fatal: true });

class FormEncodingError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_FORM_ENCODING';
  constructor() {
    super('The form data is not valid UTF-8 or is badly percent-encoded.');
  }
}

/**
 * application/x-www-form-urlencoded, strictly: the bytes and every percent-escape must be valid UTF-8
 * (a lenient parser would silently store U+FFFD); repeated names become arrays, which the route
 * schemas then refuse; prototype keys are dropped.
 */
export function parseForm(body: Buffer): Record<string, string | string[]> {
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    throw new FormEncodingError();
  }
  const out: Record<string, string | string[]> = {};
  for (const pair of text.split('&')) {
    if (pair === '') {
      continue;
    }
    const eq = pair.indexOf('=');
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent((eq === -1 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      value = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      throw new FormEncodingError();
    }
    if (FORBIDDEN_KEYS.has(key)) {
      continue;
    }
    const existing = out[key];
    out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

export default fp(
  (app: FastifyInstance, opts: { bodyLimit: number }) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'buffer', bodyLimit: opts.bodyLimit },
      (_request, body, done) => {
        try {
          done(null, parseForm(body as Buffer));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
    );
  },
  { name: 'form-body' },
);
