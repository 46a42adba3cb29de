import { Type, type Static } from '@sinclair/typebox';
import { EmailAddress, Form } from '../../http/schemas.ts';
import { MAX_PASSWORD_BYTES } from '../../lib/password-hasher.ts';
import { isStagePage } from '../../plugins/access.ts';

export const LoginBody = Form({
  // Not required here: an empty field is answered like a wrong password would be, by checkCredentials.
  email: EmailAddress({ title: 'Email' }),
  password: Type.String({ title: 'Password', maxLength: MAX_PASSWORD_BYTES }),
  next: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type LoginBody = Static<typeof LoginBody>;

export const LoginQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 2000 })) });
export type LoginQuery = Static<typeof LoginQuery>;

/** The token of an emailed unlock link (43 base64url characters; anything else is answered as an invalid link). */
export const UnlockParams = Type.Object({ token: Type.String({ maxLength: 100 }) });
export type UnlockParams = Static<typeof UnlockParams>;

/**
 * Only same-site paths: never `//host`, `/\host` or a scheme, so `next` cannot become an open redirect.
 * Every redirect that takes `next` goes through here, so this is also where it becomes a valid `Location`:
 * characters outside printable ASCII (`/€`, spaces) are percent-encoded as UTF-8, because Node refuses to
 * send them in a header (ERR_INVALID_CHAR, a 500). Control characters and text that is not well-formed
 * UTF-16 (a lone surrogate cannot be encoded) are refused and give `/`, as is a path that would be
 * longer than 2,000 characters once encoded (it is carried on in a query string). A step of signing in
 * (`isStagePage`: verify the email, the code, the first setup) is not a destination either: it gives `/`.
 */
export function safeNextPath(next: string | undefined): string {
  if (
    !next ||
    !next.startsWith('/') ||
    isStagePage(next) ||
    next.startsWith('//') ||
    next.includes('\\') ||
    [...next].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f')
  ) {
    return '/';
  }
  try {
    const encoded = next.replace(/[^\u0021-\u007e]/gu, (c) => encodeURIComponent(c));
    return encoded.length <= 2000 ? encoded : '/';
  } catch {
    return '/';
  }
}
