import { Type, type Static } from '@sinclair/typebox';
import { MAX_PASSWORD_BYTES } from './password-hasher.ts';

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

/** Only same-site paths: never `//host`, `/\host` or a scheme, so `next` cannot become an open redirect. */
export function safeNextPath(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20)) {
    return '/';
  }
  return next;
}
