import { isUniqueViolation } from '../../db/errors.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role, User } from '../../db/database.ts';
import { ROLES } from '../../db/database.ts';
import { invitationMail, passwordChangedMail, verifyEmailMail } from '../../mail/templates.tsx';
import { isValidEmail } from '../accounts/accounts.schemas.ts';
import { checkPassword } from '../accounts/password-policy.ts';
import { consumeToken, issueToken, peekToken, voidTokensOfUser } from '../accounts/tokens.ts';
import { TokenQuery } from '../accounts/accounts.schemas.ts';
import { InvalidLinkPage } from '../accounts/accounts.views.tsx';
import { endSessionsOfUser } from '../../plugins/sessions.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { clearAccountCounters } from '../auth/lockout.service.ts';
import { throttleKey, throttleState } from '../auth/login-throttle.ts';
import { endUserSessions } from '../auth/session.service.ts';
import { normaliseEmail } from '../auth/user.repository.ts';
import { CreateUserBody, CsrfBody, DeleteUserBody, UpdateUserBody, UserIdParams, UsersQuery } from './admin.schemas.ts';
import { checkAdministratorChange, deletedUserPlaceholder, deleteUser, isLastActiveAdministrator, unusablePasswordHash } from './users.service.ts';
import { DeleteUserPage, InvitationPage, NewUserPage, ROLE_LABEL, UserPage, UsersPage, USERS_PAGE_SIZE } from './users.views.tsx';
import { Type, type Static } from '@sinclair/typebox';
import { originOf } from '../../http/origin.ts';

const InvitationBody = Type.Object(
  { _csrf: Type.Optional(Type.String({ maxLength: 200 })), token: Type.String({ maxLength: 100 }), password: Type.String({ maxLength: 1024 }), password_confirm: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);
type InvitationBody = Static<typeof InvitationBody>;

const admin = { access: 'administrator', fresh: true } as const;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export default function adminUserRoutes(app: FastifyInstance) {
  const { db, clock, hasher, config } = app;

  async function loadTarget(request: FastifyRequest<{ Params: UserIdParams }>): Promise<User | undefined> {
    // The deleted-user placeholder is not an account anyone manages: not found here, as in the list.
    return db.selectFrom('users').selectAll().where('id', '=', request.params.id).where('is_placeholder', '=', 0).executeTakeFirst();
  }

  async function userPage(request: FastifyRequest, reply: FastifyReply, user: User, errors: Partial<Record<'email' | 'form', string>> = {}, values?: { email: string; name: string; role: string }, status = 200) {
    const [sessions, tickets, lastAdmin, signIn] = await Promise.all([
      db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', user.id).where('expires_at', '>', clock.now()).executeTakeFirstOrThrow(),
      db.selectFrom('tickets').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', user.id).executeTakeFirstOrThrow(),
      isLastActiveAdministrator(db, user),
      throttleState(db, throttleKey(user.email), clock.now()),
    ]);
    return reply.page((ctx) => UserPage({ ctx, user, sessions: Number(sessions.n), ticketCount: Number(tickets.n), lastAdmin, signIn, errors, ...(values ? { values } : {}) }), status);
  }

  const done = (reply: FastifyReply, user: User, message: string) => reply.flash('success', message).redirect(`/admin/users/${user.id}`, 303);
  const refuse = (reply: FastifyReply, user: User, message: string) => reply.flash('error', message).redirect(`/admin/users/${user.id}`, 303);

  app.get<{ Querystring: UsersQuery }>('/admin/users', { config: admin, schema: { querystring: UsersQuery } }, async (request, reply) => {
    const q = request.query;
    const page = q.page ?? 1;
    let query = db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'role', 'email_verified_at', 'totp_enabled_at', 'disabled_at', 'created_at', 'last_login_at'])
      .where('is_placeholder', '=', 0);
    if (q.q?.trim()) {
      const like = `%${escapeLike(q.q.trim().toLowerCase())}%`;
      query = query.where((eb) => eb.or([eb('email', 'like', like), eb(eb.fn('lower', ['name']), 'like', like)]));
    }
    if (q.role) {
      query = query.where('role', '=', q.role);
    }
    if (q.status === 'active') {
      query = query.where('disabled_at', 'is', null);
    } else if (q.status === 'disabled') {
      query = query.where('disabled_at', 'is not', null);
    } else if (q.status === 'unverified') {
      query = query.where('email_verified_at', 'is', null);
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(USERS_PAGE_SIZE + 1).offset((page - 1) * USERS_PAGE_SIZE).execute();
    return reply.page((ctx) => UsersPage({ ctx, rows: rows.slice(0, USERS_PAGE_SIZE), q, page, hasNext: rows.length > USERS_PAGE_SIZE }));
  });

  app.get('/admin/users/new', { config: admin }, async (_request, reply) => reply.page((ctx) => NewUserPage({ ctx, values: { email: '', name: '', role: 'client' }, errors: {} })));

  app.post<{ Body: CreateUserBody }>('/admin/users', { config: admin, schema: { body: CreateUserBody }, attachValidation: true }, async (request, reply) => {
    const actor = request.user as User;
    const body = (request.body ?? {}) as Partial<CreateUserBody>;
    const values = { email: normaliseEmail(String(body.email ?? '')).slice(0, 254), name: String(body.name ?? '').trim().slice(0, 200), role: String(body.role ?? '') };
    if (request.validationError || !isValidEmail(values.email)) {
      return reply.page((ctx) => NewUserPage({ ctx, values, errors: { email: 'Enter an email address like name@example.com.' } }), 400);
    }
    if (!ROLES.includes(values.role as Role)) {
      return reply.page((ctx) => NewUserPage({ ctx, values, errors: { form: 'Choose a role from the list.' } }), 400);
    }
    const now = clock.now();
    const passwordHash = await unusablePasswordHash(hasher);
    const created = await db.transaction().execute(async (trx) => {
      const user = await trx
        .insertInto('users')
        .values({ email: values.email, name: values.name, password_hash: passwordHash, role: values.role as Role, email_verified_at: null, disabled_at: null, created_at: now, updated_at: now, last_login_at: null })
        .onConflict((oc) => oc.column('email').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!user) {
        return null;
      }
      const token = await issueToken(trx, now, user.id, 'invite', null, user.email);
      await app.mail.enqueue(trx, user.email, invitationMail(app.mail.link('/invitation', { token }), ROLE_LABEL[user.role]));
      await recordAudit(trx, now, originOf(request), { event: 'user.created', actorUserId: actor.id, targetUserId: user.id, details: { email: user.email, role: user.role } });
      return user;
    });
    if (!created) {
      return reply.page((ctx) => NewUserPage({ ctx, values, errors: { email: 'An account with this email already exists.' } }), 400);
    }
    app.mail.deliverSoon();
    return done(reply, created, `Account created. An invitation was sent to ${created.email}.`);
  });

  app.get<{ Params: UserIdParams }>('/admin/users/:id', { config: admin, schema: { params: UserIdParams } }, async (request, reply) => {
    const user = await loadTarget(request);
    return user ? userPage(request, reply, user) : reply.callNotFound();
  });

  app.post<{ Params: UserIdParams; Body: UpdateUserBody }>(
    '/admin/users/:id',
    { config: admin, schema: { params: UserIdParams, body: UpdateUserBody }, attachValidation: true },
    async (request, reply) => {
      const actor = request.user as User;
      const user = await loadTarget(request);
      if (!user) {
        return reply.callNotFound();
      }
      const body = (request.body ?? {}) as Partial<UpdateUserBody>;
      const values = { email: normaliseEmail(String(body.email ?? '')).slice(0, 254), name: String(body.name ?? '').trim().slice(0, 200), role: String(body.role ?? '') };
      if (request.validationError || !isValidEmail(values.email)) {
        return userPage(request, reply, user, { email: 'Enter an email address like name@example.com.' }, values, 400);
      }
      if (!ROLES.includes(values.role as Role)) {
        return userPage(request, reply, user, { form: 'Choose a role from the list.' }, values, 400);
      }
      const role = values.role as Role;
      if (values.email !== user.email && (await db.selectFrom('users').select('id').where('email', '=', values.email).executeTakeFirst())) {
        return userPage(request, reply, user, { email: 'Another account already uses this email.' }, values, 409);
      }
      const now = clock.now();
      const emailChanged = values.email !== user.email;
      const roleChanged = role !== user.role;
      const check = await db.transaction().execute(async (trx) => {
        const checked = role === 'administrator' ? 'ok' : await checkAdministratorChange(trx, app.conn.dialect, actor.id, user.id);
        if (checked !== 'ok') {
          return checked;
        }
        if (emailChanged) {
          // Links mailed to the old address (an invitation to a mistyped one) die with it. Tokens are voided
          // before the user row is written: a concurrent token use locks them in that order too (no deadlock).
          await voidTokensOfUser(trx, user.id, now);
        }
        await trx
          .updateTable('users')
          .set({ email: values.email, name: values.name, role, updated_at: now, ...(emailChanged ? { email_verified_at: null } : {}) })
          .where('id', '=', user.id)
          .execute();
        if (roleChanged) {
          await recordAudit(trx, now, originOf(request), { event: 'user.role_changed', actorUserId: actor.id, targetUserId: user.id, details: { from: user.role, to: role } });
        }
        if (emailChanged) {
          const token = await issueToken(trx, now, user.id, 'verify_email', null, values.email);
          await app.mail.enqueue(trx, values.email, verifyEmailMail(app.mail.link('/verify-email', { token })));
        }
        if (roleChanged || emailChanged) {
          // A change of privilege or address ends every session of the user: the next sign-in carries it.
          await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: actor.id, keep: null, reason: roleChanged ? 'role_changed' : 'email_changed' });
        }
        await recordAudit(trx, now, originOf(request), { event: 'user.updated', actorUserId: actor.id, targetUserId: user.id, details: { emailFrom: emailChanged ? user.email : null, emailTo: emailChanged ? values.email : null } });
        return 'ok' as const;
      }).catch((error: unknown) => {
        // Another account took the address after the check above (a parallel edit on PostgreSQL): the constraint decides.
        if (isUniqueViolation(error)) {
          return 'taken' as const;
        }
        throw error;
      });
      if (check === 'taken') {
        return userPage(request, reply, user, { email: 'Another account already uses this email.' }, values, 409);
      }
      if (check === 'last') {
        return userPage(request, reply, user, { form: 'This is the last active administrator: make someone else an administrator first.' }, values, 409);
      }
      if (check === 'actor_not_admin') {
        return reply.callNotFound();
      }
      app.mail.deliverSoon();
      if ((roleChanged || emailChanged) && user.id === actor.id) {
        await reply.endSession();
        return reply.flash('info', roleChanged ? 'Your role changed. Sign in again.' : 'Your address changed. Confirm it from the email we sent, then sign in again.').redirect('/login', 303);
      }
      return done(reply, user, 'Changes saved.');
    },
  );

  app.post<{ Params: UserIdParams }>('/admin/users/:id/disable', { config: admin, schema: { params: UserIdParams, body: CsrfBody } }, async (request, reply) => {
    const actor = request.user as User;
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    const now = clock.now();
    const check = await db.transaction().execute(async (trx) => {
      const checked = await checkAdministratorChange(trx, app.conn.dialect, actor.id, user.id);
      if (checked !== 'ok') {
        return checked;
      }
      await voidTokensOfUser(trx, user.id, now);
      await trx.updateTable('users').set({ disabled_at: now, updated_at: now }).where('id', '=', user.id).execute();
      await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: actor.id, keep: null, reason: 'disabled' });
      await recordAudit(trx, now, originOf(request), { event: 'user.disabled', actorUserId: actor.id, targetUserId: user.id });
      return 'ok' as const;
    });
    if (check === 'last') {
      return refuse(reply, user, 'The last active administrator cannot be disabled.');
    }
    if (check === 'actor_not_admin') {
      return reply.callNotFound();
    }
    if (user.id === actor.id) {
      await reply.endSession();
      return reply.redirect('/login', 303);
    }
    return done(reply, user, 'The account is disabled and its sessions have ended.');
  });

  app.post<{ Params: UserIdParams }>('/admin/users/:id/enable', { config: admin, schema: { params: UserIdParams, body: CsrfBody } }, async (request, reply) => {
    const actor = request.user as User;
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ disabled_at: null, updated_at: now }).where('id', '=', user.id).execute();
      await recordAudit(trx, now, originOf(request), { event: 'user.enabled', actorUserId: actor.id, targetUserId: user.id });
    });
    return done(reply, user, 'The account is enabled.');
  });

  app.post<{ Params: UserIdParams }>('/admin/users/:id/sessions/revoke', { config: admin, schema: { params: UserIdParams, body: CsrfBody } }, async (request, reply) => {
    const actor = request.user as User;
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    const now = clock.now();
    const count = await endSessionsOfUser(db, user.id);
    await recordAudit(db, now, originOf(request), { event: 'session.revoked', actorUserId: actor.id, targetUserId: user.id, details: { scope: 'all', count } });
    if (user.id === actor.id) {
      await reply.endSession();
      return reply.redirect('/login', 303);
    }
    return done(reply, user, 'All of their sessions have ended.');
  });

  app.post<{ Params: UserIdParams }>('/admin/users/:id/resend-verification', { config: admin, schema: { params: UserIdParams, body: CsrfBody } }, async (request, reply) => {
    const actor = request.user as User;
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    if (user.email_verified_at) {
      return refuse(reply, user, 'This address is already verified.');
    }
    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      const token = await issueToken(trx, now, user.id, 'verify_email', null, user.email);
      await app.mail.enqueue(trx, user.email, verifyEmailMail(app.mail.link('/verify-email', { token })));
      await recordAudit(trx, now, originOf(request), { event: 'user.verification_resent', actorUserId: actor.id, targetUserId: user.id });
    });
    app.mail.deliverSoon();
    return done(reply, user, `A new verification link was sent to ${user.email}.`);
  });

  app.post<{ Params: UserIdParams }>('/admin/users/:id/unlock', { config: admin, schema: { params: UserIdParams, body: CsrfBody } }, async (request, reply) => {
    const actor = request.user as User;
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    await clearAccountCounters(app, user);
    await recordAudit(db, clock.now(), originOf(request), { event: 'login.unlocked', actorUserId: actor.id, targetUserId: user.id, details: { scope: 'account', via: 'administrator' } });
    return done(reply, user, 'Sign-in is unlocked: failed sign-ins and code attempts for this account were cleared.');
  });

  app.get<{ Params: UserIdParams }>('/admin/users/:id/delete', { config: admin, schema: { params: UserIdParams } }, async (request, reply) => {
    const user = await loadTarget(request);
    if (!user) {
      return reply.callNotFound();
    }
    if (await isLastActiveAdministrator(db, user)) {
      return refuse(reply, user, 'The last active administrator cannot be deleted.');
    }
    const tickets = await db.selectFrom('tickets').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', user.id).executeTakeFirstOrThrow();
    return reply.page((ctx) => DeleteUserPage({ ctx, user, ticketCount: Number(tickets.n) }));
  });

  app.post<{ Params: UserIdParams; Body: DeleteUserBody }>(
    '/admin/users/:id/delete',
    { config: admin, schema: { params: UserIdParams, body: DeleteUserBody } },
    async (request, reply) => {
      const actor = request.user as User;
      const user = await loadTarget(request);
      if (!user) {
        return reply.callNotFound();
      }
      const now = clock.now();
      const keep = request.body.tickets === 'keep';
      const placeholder = keep ? await deletedUserPlaceholder(db, hasher, now) : null;
      const affected = await db.transaction().execute(async (trx) => {
        const checked = await checkAdministratorChange(trx, app.conn.dialect, actor.id, user.id);
        if (checked !== 'ok') {
          return checked;
        }
        const count = await deleteUser(trx, app.conn.dialect, user, keep, placeholder);
        await recordAudit(trx, now, originOf(request), { event: 'user.deleted', actorUserId: actor.id === user.id ? null : actor.id, details: { email: user.email, role: user.role, tickets: keep ? 'kept' : 'deleted', ticketCount: count } });
        return count;
      });
      if (affected === 'last') {
        return refuse(reply, user, 'The last active administrator cannot be deleted.');
      }
      if (affected === 'actor_not_admin') {
        return reply.callNotFound();
      }
      if (user.id === actor.id) {
        await reply.endSession();
        return reply.redirect('/login', 303);
      }
      return reply.flash('success', `${user.email} was deleted; ${affected} ticket(s) ${keep ? 'kept' : 'deleted'}.`).redirect('/admin/users', 303);
    },
  );

  // The invited person's link: choose a password (this also proves the address).
  const minLength = config.env.PASSWORD_MIN_LENGTH;
  const invalidInvite = (reply: FastifyReply) =>
    reply.page((ctx) => InvalidLinkPage({ ctx, message: 'This invitation link is invalid, has already been used, or has expired. Ask your administrator for a new one, or reset your password.', actionHref: '/forgot-password', actionLabel: 'Reset password' }), 400);

  app.get<{ Querystring: TokenQuery }>('/invitation', { config: { access: 'public' }, schema: { querystring: TokenQuery } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const token = request.query.token ?? '';
    return (await peekToken(db, token, 'invite', clock.now())) ? reply.page((ctx) => InvitationPage({ ctx, token, minLength })) : invalidInvite(reply);
  });

  app.post<{ Body: InvitationBody }>('/invitation', { config: { access: 'public' }, schema: { body: InvitationBody } }, async (request, reply) => {
    reply.header('referrer-policy', 'no-referrer');
    const { token, password, password_confirm } = request.body;
    const now = clock.now();
    const pending = await peekToken(db, token, 'invite', now);
    const user = pending && (await db.selectFrom('users').selectAll().where('id', '=', pending.user_id).executeTakeFirst());
    if (!pending || !user) {
      return invalidInvite(reply);
    }
    const weakness = checkPassword({ minLength }, password, user.email) ?? (password !== password_confirm ? 'The two passwords are not the same.' : null);
    if (weakness) {
      return reply.page((ctx) => InvitationPage({ ctx, token, error: weakness, minLength }), 400);
    }
    const passwordHash = await hasher.hash(password);
    const ok = await db.transaction().execute(async (trx) => {
      if (!(await consumeToken(trx, token, 'invite', now))) {
        return false;
      }
      await trx.updateTable('users').set({ password_hash: passwordHash, email_verified_at: now, updated_at: now }).where('id', '=', user.id).execute();
      await endUserSessions(trx, now, originOf(request), { userId: user.id, actorUserId: user.id, keep: null, reason: 'password_set' });
      await app.mail.enqueue(trx, user.email, passwordChangedMail(app.mail.link('/forgot-password')));
      await recordAudit(trx, now, originOf(request), { event: 'user.password_reset', actorUserId: user.id, targetUserId: user.id, details: { via: 'invitation' } });
      return true;
    });
    if (!ok) {
      return invalidInvite(reply);
    }
    app.mail.deliverSoon();
    return reply.flash('success', 'Your password is set. Sign in to finish setting up your account.').redirect('/login', 303);
  });
}
