import type { FastifyInstance, FastifyReply } from 'fastify';
import { registrationAttemptMail, verifyEmailMail } from '../../mail/templates.tsx';
import { recordAudit } from '../../audit/audit.repository.ts';
import { findUserByEmail, insertUserIfAbsent, normaliseEmail } from '../users/user.repository.ts';
import { isValidEmail, RegisterBody } from './accounts.schemas.ts';
import { CheckEmailPage, RegisterPage, type FieldErrors } from './accounts.views.tsx';
import { checkPassword } from './password-policy.ts';
import { issueToken } from './tokens.ts';
import { originOf } from '../../http/origin.ts';

export const CHECK_EMAIL_MESSAGE = 'Check your email to finish creating your account. We sent a message to the address you entered.';

export default function registrationRoutes(app: FastifyInstance) {
  const { db, hasher, clock, config } = app;
  const minLength = config.env.PASSWORD_MIN_LENGTH;
  const limit = app.limits.registrationIp;

  const form = (reply: FastifyReply, email: string, errors: FieldErrors, status = 400) =>
    reply.page((ctx) => RegisterPage({ ctx, email, errors, minLength }), status);

  app.get('/register', { config: { access: 'public' } }, async (request, reply) =>
    request.session?.stage === 'full' ? reply.redirect('/', 303) : form(reply, '', {}, 200),
  );

  app.post<{ Body: RegisterBody }>(
    '/register',
    { config: { access: 'public' }, schema: { body: RegisterBody }, attachValidation: true },
    async (request, reply) => {
      if (request.validationError) {
        return form(reply, '', { form: 'Please fill in every field. Email addresses can have up to 254 characters, passwords up to 1,024 bytes.' });
      }
      const email = normaliseEmail(request.body.email);
      const { password, password_confirm } = request.body;
      const errors: FieldErrors = {};
      if (!isValidEmail(email)) {
        errors.email = 'Enter an email address like name@example.com.';
      }
      const weakness = checkPassword({ minLength }, password, email);
      if (weakness) {
        errors.password = weakness;
      } else if (password !== password_confirm) {
        errors.password_confirm = 'The two passwords are not the same.';
      }
      if (Object.keys(errors).length > 0) {
        return form(reply, email.slice(0, 254), errors);
      }
      await limit.consume(request.ip);

      // Both paths hash once, so a registered address costs the same time as a new one.
      const passwordHash = await hasher.hash(password);
      const now = clock.now();
      await db.transaction().execute(async (trx) => {
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
          await app.mail.enqueue(trx, email, verifyEmailMail(app.mail.link('/verify-email', { token })));
          await recordAudit(trx, now, originOf(request), { event: 'user.registered', actorUserId: created.id, targetUserId: created.id });
        } else {
          await app.mail.enqueue(trx, email, registrationAttemptMail(app.mail.link('/login'), app.mail.link('/forgot-password')));
        }
      });
      app.mail.deliverSoon();
      // The same page whether or not the address was already registered.
      return reply.page((ctx) => CheckEmailPage({ ctx, title: 'Check your email', message: CHECK_EMAIL_MESSAGE }));
    },
  );
}
