import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Config } from '../config.ts';

/** Cookie names and options in one place: `__Host-` and Secure in production, plain names over http in development. */
export function cookieSettings(config: Config) {
  const prefix = config.isProduction ? '__Host-' : '';
  const base: CookieSerializeOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: config.isProduction };
  return {
    names: { session: `${prefix}parapet_session`, csrf: `${prefix}parapet_csrf`, flash: `${prefix}parapet_flash` },
    options: base,
  };
}
