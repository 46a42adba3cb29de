import type { FastifyBaseLogger } from 'fastify';
import type { Connection } from '../db/connect.ts';
import type { Clock } from '../lib/clock.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import { readStoredHeaders } from './headers.ts';
import { markFailedAttempt } from './outbox.ts';
import { claimDueMail, markDiscarded, markSent } from './outbox.repository.ts';
import type { MailTransport } from './transports.ts';

const POLL_INTERVAL_MS = 5_000;

/**
 * Delivers the outbox in the background. Every process runs one; row claiming keeps them from sending
 * the same email twice. A delivery failure is retried with backoff and never reaches the user's request.
 */
export class MailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = true;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      conn: Connection;
      transport: MailTransport;
      clock: Clock;
      log: FastifyBaseLogger;
      from: string;
    },
  ) {}

  start(): void {
    if (this.deps.transport.name === 'disabled') {
      this.deps.log.warn(
        'MAIL_TRANSPORT=disabled: no email is sent. Queued mail (resets, verifications, invitations, notifications) is discarded and logged',
      );
    }
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), POLL_INTERVAL_MS).unref();
    this.kick();
  }

  /** Ends the current pass after its batch, then closes the transport. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopping ??= (async () => {
      await this.running;
      this.deps.transport.close?.();
    })();
    return this.stopping;
  }

  /** Look for due mail now (after a request queued some), without waiting for the next poll. */
  kick(): void {
    if (this.stopped) {
      return;
    }
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .catch((err: unknown) => {
        this.deps.log.error({ err }, 'mail worker pass failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Delivers every due email; returns how many were sent. */
  async runOnce(): Promise<number> {
    const { conn, transport, clock, log, from } = this.deps;
    let sent = 0;
    // A stopping worker finishes the batch it claimed (the rest waits for the next process) so shutdown stays short.
    while (!this.stopping) {
      const batch = await claimDueMail(conn, clock.now());
      if (batch.length === 0) {
        return sent;
      }
      for (const mail of batch) {
        if (transport.name === 'disabled') {
          await markDiscarded(conn.db, mail.id, clock.now());
          log.warn({ mailId: mail.id, kind: mail.kind }, 'mail not sent: MAIL_TRANSPORT=disabled');
          continue;
        }
        const {
          From,
          'Reply-To': replyTo,
          'In-Reply-To': inReplyTo,
          References,
          ...headers
        } = readStoredHeaders(mail.headers);
        try {
          await transport.send({
            from: From ?? from,
            to: mail.to_address,
            subject: mail.subject,
            text: mail.text_body,
            html: mail.html_body,
            messageId: mail.message_id,
            replyTo,
            inReplyTo,
            references: References,
            headers,
          });
        } catch (error) {
          const message = error instanceof Error ? error.message : 'unknown error';
          const final = await markFailedAttempt(conn.db, mail, clock.now(), message);
          log.warn(
            { mailId: mail.id, kind: mail.kind, attempts: mail.attempts, final, error: message },
            'mail delivery failed',
          );
          if (final) {
            await recordAudit(conn.db, clock.now(), null, {
              event: 'mail.failed',
              details: { mailId: mail.id, kind: mail.kind, attempts: mail.attempts },
            });
          }
          continue;
        }
        // Only a transport error is a failed delivery. A database error here (an outage) ends the pass: the mail went
        // out, and marking it for a retry would send it again a minute later; its lease expiring can still do that.
        await markSent(conn.db, mail.id, clock.now());
        sent += 1;
        log.info({ mailId: mail.id, kind: mail.kind, transport: transport.name }, 'mail sent');
      }
    }
    return sent;
  }
}
