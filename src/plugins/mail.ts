import fp from 'fastify-plugin';
import { logoUrlPath } from '../lib/brand.ts';
import type { FastifyInstance } from 'fastify';
import type { DB } from '../db/database.ts';
import type { Mailer } from '../mail/mailer.ts';
import { enqueueMail, messageDomain, type OutboxSettings } from '../mail/outbox.ts';
import { DEFAULT_ACCENT, type MailBrand, type MailDraft } from '../mail/layout.tsx';
import { createTransportFromConfig, type MailTransport } from '../mail/transports.ts';
import { MailWorker } from '../mail/worker.ts';

declare module 'fastify' {
  interface FastifyInstance {
    mail: Mailer & {
      worker: MailWorker;
      transport: MailTransport;
    };
  }
}

export interface MailPluginOptions {
  transport?: MailTransport;
  /** Start the background worker with the app (the server does; tests drive `worker.runOnce()` themselves). */
  startWorker?: boolean;
}

export default fp(
  (app: FastifyInstance, opts: MailPluginOptions) => {
    const { config, clock } = app;
    const transport = opts.transport ?? createTransportFromConfig(config);
    const worker = new MailWorker({
      conn: app.conn,
      transport,
      clock,
      log: app.log.child({ component: 'mail' }),
      from: config.mailFrom,
    });
    const { env } = config;
    const settings: OutboxSettings = {
      domain: messageDomain(config.appUrl.hostname),
      secretKey: config.secretKey,
      support: env.SUPPORT_ADDRESS ? { address: env.SUPPORT_ADDRESS, name: config.supportName } : null,
    };

    const { brand } = config;
    // Mail programs show PNG and WebP from a link (not SVG): the logo is fetched from this app's own origin.
    const logoPath = brand.logo && brand.logo.type !== 'image/svg+xml' ? logoUrlPath(brand.logo) : null;
    const mailBrand: MailBrand = {
      name: brand.name,
      accent: brand.accent?.accent ?? DEFAULT_ACCENT,
      logoUrl: logoPath ? new URL(logoPath, config.appUrl).href : null,
    };

    app.decorate('mail', {
      enqueue: (db: DB, to: string, mail: MailDraft) => enqueueMail(db, clock.now(), to, mail(mailBrand), settings),
      ticketMail: {
        includeContent: env.MAIL_INCLUDE_CONTENT,
        // Replies are read only when they can reach the app: an address to write to and a way in (IMAP or Mailgun).
        repliesByEmail: Boolean(env.SUPPORT_ADDRESS && (env.IMAP_URL || env.MAILGUN_WEBHOOK_SIGNING_KEY)),
      },
      deliverSoon: () => worker.kick(),
      link: (path: string, params: Record<string, string> = {}) => {
        const url = new URL(path, config.appUrl);
        for (const [k, v] of Object.entries(params)) {
          url.searchParams.set(k, v);
        }
        return url.href;
      },
      worker,
      transport,
    });

    if (opts.startWorker) {
      app.addHook('onReady', async () => worker.start());
    }
    app.addHook('onClose', async () => worker.stop());
  },
  { name: 'mail', dependencies: ['core'] },
);
