import { Type, type Static } from '@sinclair/typebox';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';

export const CsrfBody = { _csrf: Type.Optional(Type.String({ maxLength: 200 })) };

export const LoginBody = Type.Object(
  {
    ...CsrfBody,
    email: Type.String({ maxLength: 254 }),
    password: Type.String({ maxLength: MAX_PASSWORD_BYTES }),
    next: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) });
export type LoginQuery = Static<typeof LoginQuery>;

/**
 * Only same-site paths: never `//host`, `/\host` or a scheme, so `next` cannot become an open redirect.
 * Every redirect that takes `next` goes through here, so this is also where it becomes a valid `Location`:
 * characters outside printable ASCII (`/€`, spaces) are percent-encoded as UTF-8, because Node refuses to
 * send them in a header (ERR_INVALID_CHAR, a 500). Control characters and text that is not well-formed
 * UTF-16 (a lone surrogate cannot be encoded) are refused and give `/`, as is a path that would be
 * longer than 2,000 characters once encoded (it is carried on in a query string).
 */
export function safeNextPath(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f')) {
    return '/';
  }
  try {
    const encoded = next.replace(/[^\u0021-\u007e]/gu, (c) => encodeURIComponent(c));
    return encoded.length <= 2000 ? encoded : '/';
  } catch {
    return '/';
  }
}
