import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../../config.ts';
import type { Connection } from '../../db/connect.ts';
import type { Clock } from '../../lib/clock.ts';
import {
  countSourceReceived,
  recordSourceError,
  recordSourcePoll,
  recordSourceSuccess,
  releaseSourceLease,
  renewSourceLease,
  takeSourceLease,
} from './inbound-source.repository.ts';

/**
 * The IMAP inbound source (issue 14): reads IMAP_URL's folder and hands every message in it to `receive`, which stores
 * it durably in mail_inbox; only then is the message moved to IMAP_PROCESSED_FOLDER. Nothing is ever deleted.
 *
 * - Exactly once: a message is moved only after `receive` resolved. A crash between the two leaves it in the folder;
 *   the next pass hands it over again and mail_inbox's unique keys (the source id `<UIDVALIDITY>:<UID>`, and the
 *   Message-ID) make that a no-op, and then it is moved. A `receive` that throws leaves the message where it is, for
 *   the next pass.
 * - Every message in the folder is unprocessed (processed ones are moved out), read or unread: a person who opened it
 *   in a mail client does not make it disappear. Use a folder for Parapet alone.
 * - A message larger than INBOUND_MAX_BYTES (by the server's RFC822.SIZE) is not downloaded: it is moved to
 *   "Parapet-too-large" (created when missing) and the source's last_error says so, for an administrator to look at
 *   in their mail client.
 * - New mail is noticed by IDLE (imapflow enters it after a second of quiet and reports EXISTS), with a full pass
 *   every `pollMs` besides, in case a server or a middlebox drops IDLE notifications.
 * - One poller in the whole deployment: a lease on the inbound_sources row 'imap', renewed while this process polls.
 *   When renewing fails (another process took it, or the database is unreachable) this process stops at once and
 *   tries to take it again later. Stopping releases it, so another process takes over without waiting.
 * - Errors (login refused, server gone, folder missing) are logged and recorded in the row, and the connection is
 *   retried with a growing delay; they never reach the rest of the app.
 */

const SOURCE = 'imap';
export const TOO_LARGE_FOLDER = 'Parapet-too-large';

interface ImapTiming {
  /** How long a lease lasts without renewal. */
  leaseMs: number;
  /** How often the holder renews it, and how often the others try to take it. */
  renewMs: number;
  /** A full pass this often even when IDLE reported nothing. */
  pollMs: number;
  /** The delay before reconnecting after the first error, doubled after each further one up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Quiet time before the connection enters IDLE. */
  idleDelayMs: number;
}

const DEFAULT_TIMING: ImapTiming = {
  leaseMs: 60_000,
  renewMs: 20_000,
  pollMs: 60_000,
  retryMinMs: 5_000,
  retryMaxMs: 5 * 60_000,
  idleDelayMs: 1_000,
};

export interface ImapSourceDeps {
  conn: Connection;
  clock: Clock;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** config.imap (IMAP_URL taken apart and checked by loadConfig). */
  imap: ImapSettings;
  /** IMAP_PROCESSED_FOLDER */
  processedFolder: string;
  /** INBOUND_MAX_BYTES */
  maxBytes: number;
  /**
   * Stores the raw message durably (mail_inbox) and resolves; a message stored already resolves too. Rejecting leaves
   * the message in the folder for the next pass. `sourceId` is `<UIDVALIDITY>:<UID>`.
   */
  receive(sourceId: string, raw: Buffer): Promise<void>;
  /** This process's name on the lease; unique per process by default. */
  owner?: string;
  timing?: Partial<ImapTiming>;
}

/** Why a pass or a connection failed, in one line without secrets (imapflow's errors carry no credentials). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return 'unknown error';
  }
  const detail = error as Error & { authenticationFailed?: boolean; responseText?: string; code?: string };
  if (detail.authenticationFailed) {
    return `IMAP login refused${detail.responseText ? `: ${detail.responseText}` : ''}`;
  }
  const extra = [detail.code, detail.responseText].filter(Boolean).join(', ');
  return (extra ? `${error.message} (${extra})` : error.message).slice(0, 1000);
}

class ImapSource {
  private readonly timing: ImapTiming;
  private readonly owner: string;
  private stopped = false;
  private leaseLost = false;
  /** Something happened (new mail, a closed connection, stop, a lost lease): the wait in progress ends. */
  private signalled = false;
  private wakeUp: (() => void) | null = null;
  private client: ImapFlow | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ImapSourceDeps) {
    this.timing = { ...DEFAULT_TIMING, ...deps.timing };
    this.owner = deps.owner ?? `${hostname().slice(0, 60)}:${process.pid}:${randomBytes(6).toString('hex')}`;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    // A pass ends after the message in hand; a connection stuck on the network is closed after five seconds.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), 5_000);
    });
    if ((await Promise.race([this.loop, late])) === 'late') {
      this.client?.close();
    }
    clearTimeout(timer);
    await this.loop;
  }

  private wake(): void {
    this.signalled = true;
    this.wakeUp?.();
  }

  /** Waits `ms`, or less when woken; a signal that came before the wait ends it at once. */
  private async wait(ms: number): Promise<void> {
    if (!this.signalled) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
    }
    this.signalled = false;
  }

  private async run(): Promise<void> {
    const { conn, clock, log } = this.deps;
    while (!this.stopped) {
      let held = false;
      try {
        held = await takeSourceLease(conn.db, SOURCE, this.owner, clock.now(), this.timing.leaseMs);
      } catch (err) {
        log.error({ err }, 'IMAP source: could not take the lease');
      }
      if (!held) {
        await this.wait(this.timing.renewMs);
        continue;
      }
      log.info({ owner: this.owner }, 'IMAP source: this process polls the mailbox');
      this.leaseLost = false;
      const renewal = setInterval(() => void this.renew(), this.timing.renewMs);
      try {
        await this.poll();
      } finally {
        clearInterval(renewal);
      }
      if (this.leaseLost && !this.stopped) {
        log.warn({ owner: this.owner }, 'IMAP source: lease lost; another process polls the mailbox');
      }
    }
    await releaseSourceLease(conn.db, SOURCE, this.owner).catch((err: unknown) =>
      log.error({ err }, 'IMAP source: could not release the lease'),
    );
  }

  private async renew(): Promise<void> {
    const { conn, clock, log } = this.deps;
    let renewed = false;
    try {
      renewed = await renewSourceLease(conn.db, SOURCE, this.owner, clock.now(), this.timing.leaseMs);
    } catch (err) {
      log.error({ err }, 'IMAP source: could not renew the lease');
    }
    // Unsure is lost: another process may take the lease when it runs out, and two pollers must not overlap long.
    if (!renewed && !this.stopped) {
      this.leaseLost = true;
      this.wake();
    }
  }

  /** Holding the lease: connect, pass, idle, reconnect after errors with a growing delay, until stopped or lost. */
  private async poll(): Promise<void> {
    const { conn, clock, log } = this.deps;
    let failures = 0;
    while (!this.stopped && !this.leaseLost) {
      try {
        await this.session(() => {
          failures = 0;
        });
      } catch (error) {
        failures += 1;
        const message = describe(error);
        log.warn({ error: message, failures }, 'IMAP source: connection failed');
        await recordSourceError(conn.db, SOURCE, clock.now(), message).catch((err: unknown) =>
          log.error({ err }, 'IMAP source: could not record its error'),
        );
        const delay = Math.min(this.timing.retryMaxMs, this.timing.retryMinMs * 2 ** Math.min(failures - 1, 20));
        await this.wait(delay);
      }
    }
  }

  /** One connection: returns when stopped or the lease is lost; throws when the connection fails. */
  private async session(succeeded: () => void): Promise<void> {
    const { imap } = this.deps;
    let closed = false;
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      // imap:// is allowed to loopback only (loadConfig): plain, as asked. imaps:// verifies the certificate.
      doSTARTTLS: imap.secure ? undefined : false,
      auth: { user: imap.user, pass: imap.password },
      logger: false,
      autoIdleDelay: this.timing.idleDelayMs,
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
    });
    // imapflow reports socket errors as events; unhandled they would end the process.
    client.on('error', (err: unknown) => {
      this.deps.log.warn({ error: describe(err) }, 'IMAP source: connection error');
      this.wake();
    });
    client.on('close', () => {
      closed = true;
      this.wake();
    });
    client.on('exists', (data: { count: number; prevCount: number }) => {
      if (data.count > data.prevCount) {
        this.wake();
      }
    });
    this.client = client;
    try {
      await client.connect();
      await client.mailboxCreate(this.deps.processedFolder);
      while (!this.stopped && !this.leaseLost) {
        if (closed) {
          throw new Error('the IMAP server closed the connection');
        }
        this.signalled = false;
        await this.pass(client);
        succeeded(); // the delay before the next reconnection starts again from the shortest
        await this.wait(this.timing.pollMs);
      }
    } finally {
      this.client = null;
      if (!closed) {
        await client.logout().catch(() => client.close());
      }
    }
  }

  /** Hands every message in the folder over and moves it; records the pass in the source's row. */
  private async pass(client: ImapFlow): Promise<void> {
    const { conn, clock, log, imap, processedFolder, maxBytes } = this.deps;
    await recordSourcePoll(conn.db, SOURCE, clock.now());
    const problems: string[] = [];
    const lock = await client.getMailboxLock(imap.mailbox);
    try {
      const mailbox = client.mailbox;
      if (!mailbox) {
        throw new Error(`the folder ${imap.mailbox} could not be opened`);
      }
      // Listed first: imapflow runs one command at a time, and nothing else may run inside a FETCH's iteration.
      // The folder stays selected between passes: NOOP makes the server report what arrived meanwhile (EXISTS).
      await client.noop();
      const messages = mailbox.exists > 0 ? await client.fetchAll('1:*', { uid: true, size: true }) : [];
      for (const { uid, size } of messages) {
        if (this.stopped || this.leaseLost) {
          return;
        }
        const sourceId = `${mailbox.uidValidity}:${uid}`;
        if ((size ?? 0) > maxBytes) {
          await client.mailboxCreate(TOO_LARGE_FOLDER);
          await this.move(client, uid, TOO_LARGE_FOLDER);
          const problem = `A message of ${size} bytes (larger than INBOUND_MAX_BYTES, ${maxBytes}) was not read: it is in the folder ${TOO_LARGE_FOLDER}`;
          log.warn({ sourceId, size }, 'IMAP source: message too large, moved aside');
          problems.push(problem);
          continue;
        }
        const message = await client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
        if (!message || !message.source) {
          continue; // expunged meanwhile by someone else
        }
        try {
          await this.deps.receive(sourceId, message.source);
        } catch (err) {
          // Not moved: the next pass hands it over again.
          log.error({ err, sourceId }, 'IMAP source: a message could not be stored; it stays in the folder');
          problems.push(
            `A message could not be stored and stays in ${imap.mailbox} for the next pass: ${describe(err)}`,
          );
          continue;
        }
        await this.move(client, uid, processedFolder);
        await countSourceReceived(conn.db, SOURCE);
      }
    } finally {
      lock.release();
    }
    if (problems.length > 0) {
      await recordSourceError(conn.db, SOURCE, clock.now(), problems.join('; '));
    } else {
      await recordSourceSuccess(conn.db, SOURCE, clock.now());
    }
  }

  private async move(client: ImapFlow, uid: number, folder: string): Promise<void> {
    if (!(await client.messageMove(String(uid), folder, { uid: true }))) {
      throw new Error(`could not move a message to ${folder}`);
    }
  }
}

/**
 * Starts the IMAP source in the background (every process may start one: the lease picks the one that polls).
 * `stop()` ends the pass after the message in hand, logs out and releases the lease.
 */
export function startImapSource(deps: ImapSourceDeps): { stop(): Promise<void> } {
  const source = new ImapSource(deps);
  source.start();
  return { stop: () => source.stop() };
}
