import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../../db/database.ts';
import { parseForm } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { requireUser } from '../../http/request-user.ts';
import { defineSubject } from '../../http/subject.ts';
import { notFound } from '../../lib/errors.ts';
import {
  accountOverview,
  changePassword,
  findOtherSession,
  requestEmailChange,
  revokeOtherSessions,
  revokeSession,
  setTicketEmailPreference,
  setTimeZone,
  type AccountDeps,
  type AccountErrors,
  UNKNOWN_TIME_ZONE,
} from './account.service.ts';
import { timeZoneList } from '../../lib/time.ts';
import {
  ChangeEmailBody,
  ChangePasswordBody,
  CsrfOnlyBody,
  NotificationsBody,
  SessionParams,
  TimeZoneBody,
} from './accounts.schemas.ts';
import { AccountPage } from './accounts.views.tsx';

/** Another active session of the signed-in user, named in the URL by its reference. */
const otherSession = defineSubject<Session>('session');

export default function accountRoutes(app: FastifyInstance) {
  const deps = (): AccountDeps => serviceDeps(app);
  const currentSessionId = (request: FastifyRequest) => request.session?.id ?? null;

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    errors: AccountErrors = {},
    emailValue = '',
    status = 200,
  ) {
    const overview = await accountOverview(deps(), requireUser(request), currentSessionId(request));
    return reply.page(
      (ctx) =>
        AccountPage({
          ctx,
          ...overview,
          errors,
          emailValue,
          minLength: app.config.env.PASSWORD_MIN_LENGTH,
          timeZones: timeZoneList(),
        }),
      status,
    );
  }

  app.get('/account', { config: { access: 'signed-in', fresh: true } }, async (request, reply) =>
    render(request, reply),
  );

  app.post(
    '/account/password',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ChangePasswordBody }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(ChangePasswordBody, request.body);
      if (!form.ok) {
        return render(
          request,
          reply,
          { passwordForm: 'Please fill in every field (passwords can be up to 1,024 bytes).' },
          '',
          400,
        );
      }
      const result = await changePassword(
        deps(),
        originOf(request),
        requireUser(request),
        currentSessionId(request),
        form.data,
      );
      if (!result.ok) {
        return render(request, reply, result.errors, '', 400);
      }
      // A credential change is a privilege change: this browser gets a fresh session token too.
      await reply.rotateSession();
      return reply
        .flash('success', 'Your password has been changed. Every other session was signed out.')
        .redirect('/account', 303);
    },
  );

  app.post(
    '/account/email',
    { config: { access: 'signed-in', fresh: true }, schema: { body: ChangeEmailBody }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(ChangeEmailBody, request.body);
      if (!form.ok) {
        return render(
          request,
          reply,
          { emailForm: 'Please fill in both fields.' },
          (form.values.email ?? '').slice(0, 254),
          400,
        );
      }
      const result = await requestEmailChange(deps(), originOf(request), requireUser(request), form.data);
      if (!result.ok) {
        return render(request, reply, result.errors, result.email, 400);
      }
      return reply
        .flash('info', `We sent a confirmation link to ${result.email}. Your address changes once you follow it.`)
        .redirect('/account', 303);
    },
  );

  app.post<{ Params: SessionParams }>(
    '/account/sessions/:ref/revoke',
    {
      config: { access: 'signed-in', fresh: true },
      schema: { params: SessionParams, body: CsrfOnlyBody },
      preHandler: otherSession.loader(async (request) => {
        const session = await findOtherSession(
          deps(),
          requireUser(request),
          (request.params as SessionParams).ref,
          currentSessionId(request),
        );
        if (!session) {
          throw notFound();
        }
        return session;
      }),
    },
    async (request, reply) => {
      await revokeSession(deps(), originOf(request), requireUser(request), otherSession.of(request));
      return reply.flash('success', 'That session has been signed out.').redirect('/account', 303);
    },
  );

  app.post(
    '/account/sessions/revoke-others',
    { config: { access: 'signed-in', fresh: true }, schema: { body: CsrfOnlyBody } },
    async (request, reply) => {
      await revokeOtherSessions(deps(), originOf(request), requireUser(request), currentSessionId(request));
      return reply.flash('success', 'Every other session has been signed out.').redirect('/account', 303);
    },
  );

  // The account page's time zone form, and app.js's one-time report of the browser's zone (detected=1, by fetch:
  // answered 204, and it never replaces a zone already set).
  app.post(
    '/account/time-zone',
    { config: { access: 'signed-in' }, schema: { body: TimeZoneBody }, attachValidation: true },
    async (request, reply) => {
      const form = parseForm(TimeZoneBody, request.body);
      const detected = form.ok ? form.data.detected === '1' : form.values.detected === '1';
      const result = form.ok
        ? await setTimeZone(deps(), requireUser(request), form.data.time_zone, detected)
        : ({ ok: false, errors: { time_zone: UNKNOWN_TIME_ZONE } } as const);
      if (detected) {
        return reply.code(result.ok ? 204 : 400).send();
      }
      if (!result.ok) {
        return render(request, reply, result.errors, '', 400);
      }
      return reply.flash('success', `Times are now shown in ${result.zone}.`).redirect('/account', 303);
    },
  );

  app.post<{ Body: NotificationsBody }>(
    '/account/notifications',
    { config: { access: 'signed-in' }, schema: { body: NotificationsBody } },
    async (request, reply) => {
      const on = request.body.notify_tickets === '1';
      await setTicketEmailPreference(deps(), requireUser(request), on);
      return reply.flash('success', on ? 'Ticket emails are on.' : 'Ticket emails are off.').redirect('/account', 303);
    },
  );
}
