import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serviceDeps } from '../../app-deps.ts';
import { pendingStagePage } from '../../plugins/access.ts';
import { LoginPage } from '../auth/login.views.tsx';
import { presentHome } from './home.presenter.ts';
import { loadHome, type HomeDeps } from './home.service.ts';
import { HomePage } from './home.views.tsx';

function signedInUser(request: FastifyRequest) {
  return request.session?.stage === 'full' ? request.user : null;
}

/** `/`: the signed-in user's home page (their tickets, or the staff queue); the sign-in form for everyone else. */
export default function homeRoutes(app: FastifyInstance) {
  const deps = (): HomeDeps => ({ ...serviceDeps(app), loginWindowMinutes: app.config.env.LOGIN_WINDOW_MINUTES });

  app.get('/', { config: { access: 'public' } }, async (request, reply) => {
    const pending = pendingStagePage(request);
    if (pending) {
      return reply.redirect(pending, 303);
    }
    const user = signedInUser(request);
    if (!user) {
      return reply.page((ctx) => LoginPage({ ctx, form: {} }));
    }
    const homeDeps = deps();
    const view = presentHome(await loadHome(homeDeps, user), homeDeps.now);
    return reply.page((ctx) => HomePage({ ctx, view }));
  });
}
