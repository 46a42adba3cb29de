import { serviceDeps } from '../../app-deps.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseForm } from '../../http/forms.ts';
import { originOf } from '../../http/origin.ts';
import { RegisterBody } from './accounts.schemas.ts';
import { CheckEmailPage, RegisterPage } from './accounts.views.tsx';
import { register, type RegistrationDeps, type RegistrationErrors } from './registration.service.ts';

export const CHECK_EMAIL_MESSAGE =
  'Check your email to finish creating your account. We sent a message to the address you entered.';
const UNREADABLE =
  'Please fill in every field. Email addresses can have up to 254 characters, passwords up to 1,024 bytes.';

export default function registrationRoutes(app: FastifyInstance) {
  const minLength = app.config.env.PASSWORD_MIN_LENGTH;
  const deps = (): RegistrationDeps => serviceDeps(app);

  const form = (reply: FastifyReply, email: string, errors: RegistrationErrors, status = 400) =>
    reply.page((ctx) => RegisterPage({ ctx, email, errors, minLength }), status);

  app.get('/register', { config: { access: 'public' } }, async (request, reply) =>
    request.session?.stage === 'full' ? reply.redirect('/', 303) : form(reply, '', {}, 200),
  );

  app.post(
    '/register',
    { config: { access: 'public' }, schema: { body: RegisterBody }, attachValidation: true },
    async (request, reply) => {
      const parsed = parseForm(RegisterBody, request.body);
      if (!parsed.ok) {
        return form(reply, (parsed.values.email ?? '').slice(0, 254), { form: UNREADABLE });
      }
      const result = await register(deps(), originOf(request), parsed.data);
      if (!result.ok) {
        return form(reply, result.email, result.errors);
      }
      // The same page whether or not the address was already registered.
      return reply.page((ctx) => CheckEmailPage({ ctx, title: 'Check your email', message: CHECK_EMAIL_MESSAGE }));
    },
  );
}
