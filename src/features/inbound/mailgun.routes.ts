import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { originOf } from '../../http/origin.ts';
import { AppError } from '../../lib/errors.ts';
import type { Attempt } from '../../plugins/rate-limit.ts';
import { parseMailgunUrlencoded, readMailgunMultipart } from './mailgun-form.ts';
import { MailgunForm } from './mailgun-mime.ts';
import { receiveMailgunEvent, receiveMailgunMessage, type MailgunDeps, type WebhookResult } from './mailgun.service.ts';

export interface MailgunRoutesOptions {
  /** Called after a message was stored (not for a redelivery): wakes the inbound worker. */
  onStored?: () => void;
}

/**
 * Mailgun's webhooks, only when MAILGUN_WEBHOOK_SIGNING_KEY is set (otherwise the paths do not exist: 404):
 * - POST /inbound/mailgun and /inbound/mailgun/mime: what a Route's forward() posts, a parsed message (form fields and
 *   attachment files) or, for a forward URL ending in "mime", the raw message in `body-mime`. Both paths take both.
 * - POST /inbound/mailgun/events: the event webhook; permanent failures (bounces) mark the address undeliverable.
 * Access 'webhook': no session and no CSRF token; every request is authenticated by Mailgun's signature (see
 * mailgun.service.ts for what each answer tells Mailgun). Each request first spends a point of the per-network
 * limit (webhookIp), before its body is read; a valid signature gives it back.
 */
export default function mailgunRoutes(app: FastifyInstance, opts: MailgunRoutesOptions) {
  const signingKey = app.config.env.MAILGUN_WEBHOOK_SIGNING_KEY;
  if (!signingKey) {
    return;
  }
  const maxBytes = app.config.env.INBOUND_MAX_BYTES;
  const deps = (): MailgunDeps => ({ db: app.db, now: app.clock.now(), limits: app.limits, signingKey });
  const attempts = new WeakMap<FastifyRequest, Attempt>();

  // In this plugin only: url-encoded bodies as bytes (body-mime may be in any charset), see mailgun-form.ts.
  app.removeContentTypeParser('application/x-www-form-urlencoded');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseMailgunUrlencoded(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  const limited = async (request: FastifyRequest) => {
    attempts.set(request, await app.limits.webhookIp.consume(request.ip));
  };
  const attemptOf = (request: FastifyRequest): Attempt => {
    const attempt = attempts.get(request);
    if (!attempt) {
      throw new Error('webhook request without its rate-limit attempt');
    }
    return attempt;
  };

  function answer(request: FastifyRequest, reply: FastifyReply, result: WebhookResult) {
    if (result.ok) {
      return reply
        .code(200)
        .type('application/json')
        .send({ message: result.stored ? 'stored' : 'ok' });
    }
    request.log.warn({ event: 'mailgun.refused', status: result.status, reason: result.reason }, 'webhook refused');
    if (result.status === 429) {
      throw new AppError(429, 'inbound_rate_limited', 'Too many inbound messages; try again later.', {
        'retry-after': String(Math.max(1, Math.ceil(result.retryAfterSeconds))),
      });
    }
    throw result.status === 401
      ? new AppError(401, 'webhook_signature', 'The webhook signature is missing, wrong or too old.')
      : new AppError(406, 'webhook_rejected', 'This request is not accepted.');
  }

  const messageRoute = {
    config: { access: 'webhook' },
    bodyLimit: maxBytes,
    onRequest: limited,
    preValidation: async (request: FastifyRequest) => {
      if (request.isMultipart()) {
        request.body = await readMailgunMultipart(request, maxBytes);
      }
    },
  } as const;
  const receive = async (request: FastifyRequest, reply: FastifyReply) => {
    const form = request.body instanceof MailgunForm ? request.body : new MailgunForm(new Map(), null, []);
    const result = await receiveMailgunMessage(deps(), attemptOf(request), form);
    if (result.ok && result.stored) {
      opts.onStored?.();
    }
    return answer(request, reply, result);
  };
  app.post('/inbound/mailgun', messageRoute, receive);
  app.post('/inbound/mailgun/mime', messageRoute, receive);

  app.post('/inbound/mailgun/events', { config: { access: 'webhook' }, onRequest: limited }, async (request, reply) =>
    answer(request, reply, await receiveMailgunEvent(deps(), attemptOf(request), originOf(request), request.body)),
  );
}
