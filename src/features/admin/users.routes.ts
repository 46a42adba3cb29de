import { serviceDeps } from '../../app-deps.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../db/database.ts';
import { parseForm, type FormResult } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { lenientQuery, QUERY_RESET_NOTICE } from '../../http/query.ts';
import { requireUser } from '../../http/request-user.ts';
import { clearAccountCounters } from '../auth/lockout.service.ts';
import { loadTargetUser, targetUser } from '../users/user.policy.ts';
import {
  CsrfBody,
  DeleteUserBody,
  INVALID_EMAIL_MESSAGE,
  UserForm,
  UserIdParams,
  UsersQuery,
} from './admin.schemas.ts';
import {
  createUser,
  deletePageData,
  deleteUserAccount,
  disableUser,
  enableUser,
  endAllSessions,
  resendVerification,
  unlockSignIn,
  updateUser,
  userPageData,
  usersPage,
  type Actor,
  type UsersDeps,
} from './users.service.ts';
import {
  dangerActions,
  disabledMessage,
  ONLY_ADMINISTRATOR,
  roleChangeWarning,
  savedMessage,
  sessionsEndedMessage,
} from './users.presenter.ts';
import {
  DeleteUserPage,
  NewUserPage,
  UserPage,
  UsersPage,
  type UserFormErrors,
  type UserFormValues,
} from './users.views.tsx';

const admin = { access: 'administrator', fresh: true } as const;
const byId = { params: UserIdParams };
const oneButton = { params: UserIdParams, body: CsrfBody };

const EMAIL_TAKEN = 'Another account already uses this email.';

function actorOf(request: FastifyRequest): Actor {
  return { user: requireUser(request), origin: originOf(request) };
}

function formValues(form: FormResult<UserForm>): UserFormValues {
  return { email: form.values.email ?? '', name: form.values.name ?? '', role: form.values.role ?? '' };
}

const backTo = (reply: FastifyReply, user: User, kind: 'success' | 'error', message: string) =>
  reply.flash(kind, message).redirect(`/admin/users/${user.id}`, 303);

/** An administrator who changed their own role or address, or disabled, signed out or deleted themselves, signs in again. */
async function signInAgain(reply: FastifyReply, message?: string) {
  await reply.endSession();
  return (message ? reply.flash('info', message) : reply).redirect('/login', 303);
}

export default function adminUserRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const deps: UsersDeps = { ...serviceDeps(fastify), clearSignInCounters: (user) => clearAccountCounters(app, user) };

  async function renderUserPage(
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    form?: { values: UserFormValues; errors: UserFormErrors; status: number },
  ) {
    const data = await userPageData(deps, user);
    const danger = dangerActions(user, data);
    const roleWarning = roleChangeWarning(user, data.sessions, user.id === requireUser(request).id);
    return reply.page(
      (ctx) =>
        UserPage({
          ctx,
          user,
          ...data,
          danger,
          roleWarning,
          errors: form?.errors ?? {},
          ...(form ? { values: form.values } : {}),
        }),
      form?.status ?? 200,
    );
  }

  app.get(
    '/admin/users',
    { config: admin, schema: { querystring: UsersQuery }, attachValidation: true },
    async (request, reply) => {
      const { query, reset } = lenientQuery(UsersQuery, request.query);
      if (reset) {
        reply.notice(QUERY_RESET_NOTICE);
      }
      const { rows, page, hasNext } = await usersPage(deps, query);
      return reply.page((ctx) => UsersPage({ ctx, rows, q: query, page, hasNext }));
    },
  );

  app.get('/admin/users/new', { config: admin }, async (_request, reply) =>
    reply.page((ctx) => NewUserPage({ ctx, values: { email: '', name: '', role: 'client' }, errors: {} })),
  );

  app.post(
    '/admin/users',
    { config: admin, schema: { body: UserForm }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(UserForm, request.body);
      const values = formValues(form);
      if (!form.ok) {
        return reply.page((ctx) => NewUserPage({ ctx, values, errors: form.errors }), 400);
      }
      const result = await createUser(deps, actorOf(request), {
        email: form.data.email,
        name: form.data.name ?? '',
        role: form.data.role,
      });
      if (!result.ok) {
        const invalid = result.error === 'email_invalid';
        return reply.page(
          (ctx) =>
            NewUserPage({
              ctx,
              values,
              errors: { email: invalid ? INVALID_EMAIL_MESSAGE : 'An account with this email already exists.' },
            }),
          invalid ? 400 : 409,
        );
      }
      return backTo(reply, result.user, 'success', `Account created. An invitation was sent to ${result.user.email}.`);
    },
  );

  app.get(
    '/admin/users/:id',
    { config: admin, schema: byId, preHandler: loadTargetUser('view') },
    async (request, reply) => renderUserPage(request, reply, targetUser.of(request)),
  );

  app.post(
    '/admin/users/:id',
    {
      config: admin,
      schema: { params: UserIdParams, body: UserForm },
      attachValidation: true,
      preHandler: loadTargetUser('edit'),
    },
    async (request, reply) => {
      const user = targetUser.of(request);
      const actor = actorOf(request);
      const form = parseForm(UserForm, request.body);
      const values = formValues(form);
      if (!form.ok) {
        return renderUserPage(request, reply, user, { values, errors: form.errors, status: 400 });
      }
      const result = await updateUser(deps, actor, user, {
        email: form.data.email,
        name: form.data.name ?? '',
        role: form.data.role,
      });
      if (!result.ok) {
        const errors: UserFormErrors =
          result.error === 'last'
            ? { form: ONLY_ADMINISTRATOR }
            : { email: result.error === 'email_taken' ? EMAIL_TAKEN : INVALID_EMAIL_MESSAGE };
        return renderUserPage(request, reply, user, {
          values,
          errors,
          status: result.error === 'email_invalid' ? 400 : 409,
        });
      }
      if ((result.roleChanged || result.emailChanged) && user.id === actor.user.id) {
        return signInAgain(
          reply,
          result.roleChanged
            ? 'Your role changed. Sign in again.'
            : 'Your address changed. Confirm it from the email we sent, then sign in again.',
        );
      }
      return backTo(
        reply,
        user,
        'success',
        savedMessage(
          { name: form.data.name ?? user.name, email: user.email },
          {
            role: result.roleChanged ? form.data.role : null,
            emailTo: result.emailChanged ? form.data.email : null,
            sessionsEnded: result.sessionsEnded,
          },
        ),
      );
    },
  );

  app.post(
    '/admin/users/:id/disable',
    { config: admin, schema: oneButton, preHandler: loadTargetUser('disable') },
    async (request, reply) => {
      const user = targetUser.of(request);
      const actor = actorOf(request);
      const result = await disableUser(deps, actor, user);
      if (result === 'last') {
        return backTo(reply, user, 'error', 'The last active administrator cannot be disabled.');
      }
      return user.id === actor.user.id
        ? signInAgain(reply)
        : backTo(reply, user, 'success', disabledMessage(user, result.sessionsEnded));
    },
  );

  app.post(
    '/admin/users/:id/enable',
    { config: admin, schema: oneButton, preHandler: loadTargetUser('enable') },
    async (request, reply) => {
      const user = targetUser.of(request);
      await enableUser(deps, actorOf(request), user);
      return backTo(reply, user, 'success', 'The account is enabled.');
    },
  );

  app.post(
    '/admin/users/:id/sessions/revoke',
    { config: admin, schema: oneButton, preHandler: loadTargetUser('endSessions') },
    async (request, reply) => {
      const user = targetUser.of(request);
      const actor = actorOf(request);
      const count = await endAllSessions(deps, actor, user);
      return user.id === actor.user.id
        ? signInAgain(reply)
        : backTo(reply, user, 'success', sessionsEndedMessage(user, count));
    },
  );

  app.post(
    '/admin/users/:id/resend-verification',
    { config: admin, schema: oneButton, preHandler: loadTargetUser('resendVerification') },
    async (request, reply) => {
      const user = targetUser.of(request);
      const sent = await resendVerification(deps, actorOf(request), user);
      if (sent === 'already_verified') {
        return backTo(reply, user, 'error', 'This address is already verified.');
      }
      return sent === 'invitation'
        ? backTo(
            reply,
            user,
            'success',
            `A new invitation was sent to ${user.email}. The link in the earlier invitation no longer works.`,
          )
        : backTo(reply, user, 'success', `A new verification link was sent to ${user.email}.`);
    },
  );

  app.post(
    '/admin/users/:id/unlock',
    { config: admin, schema: oneButton, preHandler: loadTargetUser('unlock') },
    async (request, reply) => {
      const user = targetUser.of(request);
      await unlockSignIn(deps, actorOf(request), user);
      return backTo(
        reply,
        user,
        'success',
        'Sign-in is unlocked: failed sign-ins and code attempts for this account were cleared.',
      );
    },
  );

  app.get(
    '/admin/users/:id/delete',
    { config: admin, schema: byId, preHandler: loadTargetUser('delete') },
    async (request, reply) => {
      const user = targetUser.of(request);
      const data = await deletePageData(deps, user);
      if (!data.ok) {
        return backTo(reply, user, 'error', 'The last active administrator cannot be deleted.');
      }
      return reply.page((ctx) => DeleteUserPage({ ctx, user, ticketCount: data.ticketCount }));
    },
  );

  app.post(
    '/admin/users/:id/delete',
    { config: admin, schema: { params: UserIdParams, body: DeleteUserBody }, preHandler: loadTargetUser('delete') },
    async (request, reply) => {
      const user = targetUser.of(request);
      const actor = actorOf(request);
      const keep = request.body.tickets === 'keep';
      const result = await deleteUserAccount(deps, actor, user, keep);
      if (!result.ok) {
        return backTo(reply, user, 'error', 'The last active administrator cannot be deleted.');
      }
      if (user.id === actor.user.id) {
        return signInAgain(reply);
      }
      return reply
        .flash('success', `${user.email} was deleted; ${result.ticketCount} ticket(s) ${keep ? 'kept' : 'deleted'}.`)
        .redirect('/admin/users', 303);
    },
  );
}
