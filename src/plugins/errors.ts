import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';
import { ErrorPage } from '../views/error-page.tsx';

const ADDRESS_MISTAKE = 'This address has a mistake. Check it, or go back and follow a link from the page.';
const FORM_NOT_READ = 'The form could not be read. Reload the page and send it again.';

interface Problem {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
}

/** Maps any thrown thing to what the client may see. Only 4xx messages are passed through; 5xx never leak. */
function toProblem(error: unknown): Problem {
  if (error instanceof AppError) {
    return { status: error.statusCode, code: error.code, message: error.publicMessage, headers: error.headers };
  }
  const fe = error as Partial<FastifyError>;
  if (fe.validation) {
    // The validator's own text ("querystring/status must be equal to constant") is for the log, never for people.
    return {
      status: 400,
      code: 'validation_error',
      message: fe.validationContext === 'body' ? FORM_NOT_READ : ADDRESS_MISTAKE,
      headers: {},
    };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx messages (body too large, bad JSON, unsupported media type) name no paths or internals.
    return {
      status,
      code: (fe.code ?? 'bad_request').toLowerCase(),
      message: fe.message ?? 'Bad request',
      headers: {},
    };
  }
  return {
    status: status === 503 ? 503 : 500,
    code: 'internal_error',
    message: 'Something went wrong on our side. Please try again in a moment.',
    headers: {},
  };
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  reply.headers(problem.headers);
  if (wantsJson(request)) {
    return reply.code(problem.status).type('application/json').send({ error: problem.code, message: problem.message });
  }
  return reply.page((ctx) => ErrorPage({ ctx, status: problem.status, message: problem.message }), problem.status);
}

export default fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => {
      const problem = toProblem(error);
      if (problem.status >= 500) {
        request.log.error({ err: error }, 'request failed');
      } else {
        const detail = (error as Partial<FastifyError>).validation ? { detail: (error as Error).message } : {};
        request.log.info({ code: problem.code, status: problem.status, ...detail }, 'request refused');
      }
      try {
        return sendProblem(request, reply, problem);
      } catch (renderError) {
        // Rendering the friendly page failed too (e.g. an error before the session loaded): plain text, still no details.
        request.log.error({ err: renderError }, 'error page failed');
        return reply.code(problem.status).type('text/plain; charset=utf-8').send(problem.message);
      }
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, {
        status: 404,
        code: 'not_found',
        message: 'The page you asked for does not exist, or you do not have access to it.',
        headers: {},
      }),
    );
  },
  { name: 'errors', dependencies: ['views'] },
);
