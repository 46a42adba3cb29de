import type { FastifyBaseLogger } from 'fastify';
import type { Connection } from '../../db/connect.ts';
import type { InboxMessage } from '../../db/database.ts';
import { recordAudit } from '../../audit/audit.repository.ts';
import type { InboundContext, MailgunEnvelope, ParsedInbound } from './inbound-message.ts';
import { applyInbound, LeaseLost, type InboundDeps } from './inbound.service.ts';
import { claimDueInbox, recordInboxFailure, releaseMailOfActivatedSenders } from './inbox.repository.ts';

const POLL_INTERVAL_MS = 5_000;
/** Attempts before a message is kept as failed for administrators (1 min, 2, 4, 8 between them). */
export const INBOX_MAX_ATTEMPTS = 5;

export function inboxRetryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);
}

export type ParseInbound = (raw: Buffer, ctx: InboundContext) => Promise<ParsedInbound>;

function envelopeOf(row: InboxMessage): MailgunEnvelope | null {
  if (!row.envelope) {
    return null;
  }
  try {
    return JSON.parse(row.envelope) as MailgunEnvelope;
  } catch {
    return null;
  }
}

/**
 * Processes the inbox in the background: every process runs one, and the lease on each claimed message keeps two
 * from working on the same one. A message that cannot be parsed or applied is retried with backoff and finally kept
 * as `failed` (shown on the Mail page), never dropped.
 */
export class InboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = true;
  /** stop() was called: a pass in progress ends after its batch (runOnce called directly, as tests do, runs to the end). */
  private stopping = false;

  constructor(
    private readonly deps: {
      conn: Connection;
      service: () => InboundDeps;
      parse: ParseInbound;
      log: FastifyBaseLogger;
      requireTwoFactor: boolean;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), POLL_INTERVAL_MS).unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Look at the inbox now (a message was just stored), without waiting for the next poll. */
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
        this.deps.log.error({ err }, 'inbox worker pass failed');
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

  /** Processes every due message; returns how many were handled (applied, held, ignored, rejected or failed). */
  async runOnce(): Promise<number> {
    const { conn, log } = this.deps;
    const now = () => this.deps.service().clock.now();
    await releaseMailOfActivatedSenders(conn.db, now(), this.deps.requireTwoFactor);
    let handled = 0;
    for (;;) {
      const batch = await claimDueInbox(conn, now());
      if (batch.length === 0) {
        return handled;
      }
      for (const row of batch) {
        if (await this.process(row)) {
          handled += 1;
        }
      }
      if (this.stopping) {
        log.info('inbox worker stopping after its batch');
        return handled;
      }
    }
  }

  private async process(row: InboxMessage): Promise<boolean> {
    const { conn, log, parse } = this.deps;
    const deps = this.deps.service();
    try {
      const parsed = await parse(row.raw, { source: row.source, envelope: envelopeOf(row) });
      const result = await applyInbound(deps, row, parsed);
      if (result.applied) {
        deps.mail.deliverSoon();
      }
      log.info(
        { inboxId: row.id, status: result.status, outcome: result.outcome, ticketId: result.ticket_id },
        'inbound mail processed',
      );
      return true;
    } catch (error) {
      if (error instanceof LeaseLost) {
        log.warn({ inboxId: row.id }, 'inbound mail taken over by another worker');
        return false;
      }
      const message = error instanceof Error ? error.message : 'unknown error';
      const final = row.attempts >= INBOX_MAX_ATTEMPTS;
      const now = deps.clock.now();
      await recordInboxFailure(conn.db, row, final, now + inboxRetryDelayMs(row.attempts), message);
      log.warn({ inboxId: row.id, attempts: row.attempts, final, err: error }, 'inbound mail could not be processed');
      if (final) {
        await recordAudit(conn.db, now, null, {
          event: 'mail.inbound_failed',
          details: { inboxId: row.id, attempts: row.attempts },
        });
      }
      return final;
    }
  }
}
