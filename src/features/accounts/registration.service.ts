import type { ServiceDeps } from '../../app-deps.ts';
import type { Limits } from '../../plugins/rate-limit.ts';
import type { Origin } from '../../lib/origin.ts';
import { registrationAttemptMail, verifyEmailMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { findUserByEmail, insertUserIfAbsent, normaliseEmail } from '../users/user.repository.ts';
import { isValidEmail } from './accounts.schemas.ts';
import { EMAIL_EXAMPLE, PASSWORDS_DIFFER } from './account.service.ts';
import { checkPassword } from './password-policy.ts';
import { issueToken } from './token.repository.ts';

export type RegistrationDeps = Pick<ServiceDeps, 'db' | 'now' | 'hasher' | 'mail' | 'minLength'> & {
  limits: Pick<Limits, 'registrationIp'>;
};

export type RegistrationErrors = Partial<Record<'email' | 'password' | 'password_confirm' | 'form', string>>;

/**
 * Creates a client account and mails its verification link; for an address that already has an account, mails its
 * owner instead. Both paths hash once and answer the same, so the page never tells whether an address is registered.
 */
export async function register(
  deps: RegistrationDeps,
  origin: Origin,
  input: { email: string; password: string; password_confirm: string },
): Promise<{ ok: true } | { ok: false; errors: RegistrationErrors; email: string }> {
  const email = normaliseEmail(input.email);
  const errors: RegistrationErrors = {};
  if (!isValidEmail(email)) {
    errors.email = EMAIL_EXAMPLE;
  }
  const weakness = checkPassword({ minLength: deps.minLength }, input.password, email);
  if (weakness) {
    errors.password = weakness;
  } else if (input.password !== input.password_confirm) {
    errors.password_confirm = PASSWORDS_DIFFER;
  }
  if (Object.keys(errors).length > 0) {
    return { ok: false, errors, email: email.slice(0, 254) };
  }
  await deps.limits.registrationIp.consume(origin.ip);
  const passwordHash = await deps.hasher.hash(input.password);
  const { now, mail } = deps;
  await deps.db.transaction().execute(async (trx) => {
    const created = (await findUserByEmail(trx, email))
      ? undefined
      : await insertUserIfAbsent(trx, {
          email,
          name: '',
          password_hash: passwordHash,
          role: 'client',
          email_verified_at: null,
          disabled_at: null,
          created_at: now,
          updated_at: now,
          last_login_at: null,
        });
    if (created) {
      const token = await issueToken(trx, now, created.id, 'verify_email', null, email);
      await mail.enqueue(trx, email, verifyEmailMail(mail.link('/verify-email', { token })));
      await recordAudit(trx, now, origin, {
        event: 'user.registered',
        actorUserId: created.id,
        targetUserId: created.id,
      });
    } else {
      await mail.enqueue(trx, email, registrationAttemptMail(mail.link('/login'), mail.link('/forgot-password')));
    }
  });
  mail.deliverSoon();
  return { ok: true };
}
