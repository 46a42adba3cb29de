import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { serviceDeps } from '../../app-deps.ts';
import type { InboxSource } from '../../db/database.ts';
import { ticketDeps } from '../tickets/ticket.deps.ts';
import type { MailgunEnvelope } from './inbound-message.ts';
import type { InboundDeps } from './inbound.service.ts';
import { inboxMessageKey, storeInboxMessage } from './inbox.repository.ts';
import { startImapSource } from './imap.source.ts';
import { InboxWorker } from './inbox.worker.ts';
import { parseInbound } from './parse.ts';

declare module 'fastify' {
  interface FastifyInstance {
    inbound: {
      /** Whether any inbound source is configured (SUPPORT_ADDRESS with IMAP_URL or MAILGUN_WEBHOOK_SIGNING_KEY). */
      enabled: boolean;
      worker: InboxWorker;
      /** The inbound service's deps (approving held mail, tests). */
      serviceDeps(): InboundDeps;
      /**
       * Stores a received message durably (a redelivery stores nothing) and wakes the worker. A source acknowledges
       * the message to its sender (Mailgun's 200, IMAP's move) only after this resolved.
       */
      receive(input: {
        source: InboxSource;
        sourceId: string;
        raw: Buffer;
        messageId: string | null;
        envelope?: MailgunEnvelope | null;
      }): Promise<{ stored: boolean }>;
    };
  }
}

export interface InboundPluginOptions {
  /** Run the worker (and the IMAP poller) in the background: the server does; tests call `worker.runOnce()`. */
  start: boolean;
}

export default fp(
  (app: FastifyInstance, opts: InboundPluginOptions) => {
    const { env } = app.config;
    const tickets = ticketDeps(app);
    const supportAddress = env.SUPPORT_ADDRESS ?? '';
    const service = (): InboundDeps => ({
      ...serviceDeps(app),
      tickets,
      settings: {
        secretKey: app.config.secretKey,
        supportAddress,
        unknownSenders: env.INBOUND_UNKNOWN_SENDERS,
      },
    });
    // Our own addresses: mail from them is a loop (a bounce of our own mail is recognised as a bounce first).
    const ownAddresses = [supportAddress, /<([^<>\s]+@[^<>\s]+)>/.exec(env.MAIL_FROM)?.[1] ?? env.MAIL_FROM]
      .map((a) => a.trim().toLowerCase())
      .filter((a) => a.includes('@'));
    const worker = new InboxWorker({
      conn: app.conn,
      service,
      parse: (raw, ctx) => parseInbound(raw, ctx, { trustedAuthservId: env.INBOUND_AUTHSERV_ID, ownAddresses }),
      log: app.log.child({ component: 'inbound' }),
      requireTwoFactor: env.REQUIRE_2FA,
    });
    const enabled = Boolean(supportAddress && (env.IMAP_URL || env.MAILGUN_WEBHOOK_SIGNING_KEY));

    app.decorate('inbound', {
      enabled,
      worker,
      serviceDeps: service,
      async receive(input) {
        const result = await storeInboxMessage(app.db, {
          source: input.source,
          sourceId: input.sourceId,
          messageId: inboxMessageKey(input.raw, input.messageId),
          raw: input.raw,
          envelope: input.envelope ? JSON.stringify(input.envelope) : null,
          receivedAt: app.clock.now(),
        });
        if (result.stored) {
          worker.kick();
        }
        return { stored: result.stored };
      },
    });

    let imap: { stop(): Promise<void> } | null = null;
    if (opts.start && enabled) {
      app.addHook('onReady', async () => {
        worker.start();
        const settings = app.config.imap;
        if (settings) {
          // Every process starts one; the lease in inbound_sources lets exactly one of them poll.
          imap = startImapSource({
            conn: app.conn,
            clock: app.clock,
            log: app.log.child({ component: 'imap' }),
            imap: settings,
            processedFolder: env.IMAP_PROCESSED_FOLDER,
            maxBytes: env.INBOUND_MAX_BYTES,
            receive: async (sourceId, raw) => {
              const messageId = /^Message-ID:\s*(<[^<>\s]{1,500}>)/im.exec(
                raw.subarray(0, 64 * 1024).toString('latin1'),
              )?.[1];
              await app.inbound.receive({ source: 'imap', sourceId, raw, messageId: messageId ?? null });
            },
          });
        }
      });
    }
    app.addHook('onClose', async () => {
      await imap?.stop();
      await worker.stop();
    });
  },
  { name: 'inbound', dependencies: ['core', 'mail', 'rate-limit'] },
);
