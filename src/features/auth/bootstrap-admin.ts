import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import type { DB } from '../../db/database.ts';
import { randomToken } from '../../lib/crypto.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { PasswordHasher } from '../../lib/password-hasher.ts';
import { hasAdministrator, insertUserIfAbsent } from '../users/user.repository.ts';
import { isValidEmail } from '../accounts/accounts.schemas.ts';

/**
 * The first administrator's address when DEFAULT_USER is not set: `admin@` the APP_URL host when that host is a
 * domain that can receive mail (a dot, not an IP address, not `.localhost`), else `admin@example.com`. Either way
 * it passes the address check, so the account can be edited like any other.
 */
export function defaultAdministratorEmail(appUrl: URL): string {
  const host = appUrl.hostname.toLowerCase().replace(/\.$/, '');
  const candidate = `admin@${host}`;
  return isIP(host.replace(/^\[|\]$/g, '')) === 0 && isValidEmail(candidate) ? candidate : 'admin@example.com';
}

/**
 * Creates the first administrator when none exists: from DEFAULT_USER/DEFAULT_PASSWORD, or as
 * `defaultAdministratorEmail` with a random password printed once. There is never a fixed default password, and no setup page.
 * Safe when several processes start together: only the insert that wins prints anything.
 */
export async function ensureAdministrator(
  deps: { db: DB; hasher: PasswordHasher; config: Config; now: number },
  log: FastifyBaseLogger,
  announce: (message: string) => void = (m) => console.log(m),
): Promise<{ created: boolean; email?: string }> {
  const { db, hasher, config, now } = deps;
  if (await hasAdministrator(db)) {
    return { created: false };
  }
  const email = config.env.DEFAULT_USER ?? defaultAdministratorEmail(config.appUrl);
  const generated = config.env.DEFAULT_PASSWORD ? null : randomToken(18);
  const password = config.env.DEFAULT_PASSWORD ?? generated ?? '';
  const user = await insertUserIfAbsent(db, {
    email,
    name: 'Administrator',
    password_hash: await hasher.hash(password),
    role: 'administrator',
    email_verified_at: now,
    disabled_at: null,
    created_at: now,
    updated_at: now,
    last_login_at: null,
  });
  if (!user) {
    log.warn({ email }, 'DEFAULT_USER exists but is not an administrator; no administrator was created');
    return { created: false };
  }
  await recordAudit(db, now, null, {
    event: 'user.bootstrap_admin',
    targetUserId: user.id,
    details: { generated: generated !== null },
  });
  log.info({ email: user.email }, 'created the first administrator');
  if (generated) {
    announce(
      [
        '='.repeat(72),
        'Parapet created the first administrator account:',
        `  email:    ${user.email}`,
        `  password: ${generated}`,
        'This password is shown only once. Sign in and change it.',
        ...(config.env.DEFAULT_USER
          ? []
          : ['Then change the address to your own mailbox on the Users page: mail to it must reach you.']),
        'Set DEFAULT_USER and DEFAULT_PASSWORD to choose them yourself.',
        '='.repeat(72),
      ].join('\n'),
    );
  }
  return { created: true, email: user.email };
}
