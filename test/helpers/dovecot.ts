import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { TestContext } from 'node:test';
import { ImapFlow } from 'imapflow';
import type { ImapSettings } from '../../src/config.ts';

/**
 * The private Dovecot that scripts/dovecot/start.sh runs for the tests (.ci/run starts it): plain IMAP on loopback,
 * any user name with the password "password", each user a mailbox of its own created at first login.
 */
const HOST = '127.0.0.1';
const PORT = Number(process.env.PARAPET_DOVECOT_PORT ?? 10143);
export const DOVECOT_PASSWORD = 'password';
/** IMAP over TLS with a self-signed certificate, when start.sh found openssl. */
export const DOVECOT_TLS_PORT = Number(process.env.PARAPET_DOVECOT_TLS_PORT ?? 10993);

/** Whether something accepts TCP connections on the port (the TLS listener answers only after a handshake). */
export async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether our Dovecot answers with an IMAP greeting. */
async function dovecotReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port: PORT });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('* OK')));
    socket.once('error', () => done(false));
  });
}

/**
 * For `test(name, { skip })`: false when Dovecot is running. Without it the tests are skipped locally with the reason,
 * and in CI (CI=true, or PARAPET_TEST_DOVECOT=required as .ci/run sets) this throws, failing the suite.
 */
export async function dovecotSkipReason(): Promise<string | false> {
  if (await dovecotReachable()) {
    return false;
  }
  const reason = `no Dovecot on ${HOST}:${PORT}: run scripts/dovecot/start.sh (needs apt-get install dovecot-imapd)`;
  if (process.env.CI === 'true' || process.env.PARAPET_TEST_DOVECOT === 'required') {
    throw new Error(`${reason}. The IMAP tests must run in CI.`);
  }
  return reason;
}

export interface TestMailbox {
  user: string;
  /** IMAP settings as loadConfig makes them from IMAP_URL, for the source under test. */
  settings: ImapSettings;
  /** Places a message in a folder with IMAP APPEND, as a delivering server would. */
  append(raw: string | Buffer, folder?: string): Promise<void>;
  /** The Message-ID headers of the messages in a folder (empty when the folder does not exist). */
  messageIds(folder: string): Promise<string[]>;
}

/** A fresh mailbox of this test's own; the test's IMAP client is logged out afterwards. */
export async function newMailbox(t: TestContext): Promise<TestMailbox> {
  const user = `imap-${randomBytes(6).toString('hex')}@example.test`;
  const client = new ImapFlow({
    host: HOST,
    port: PORT,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: DOVECOT_PASSWORD },
    logger: false,
  });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.logout().catch(() => client.close()));
  return {
    user,
    settings: { secure: false, host: HOST, port: PORT, user, password: DOVECOT_PASSWORD, mailbox: 'INBOX' },
    append: async (raw, folder = 'INBOX') => {
      await client.append(folder, typeof raw === 'string' ? Buffer.from(raw) : raw);
    },
    messageIds: async (folder) => {
      const folders = await client.list();
      if (!folders.some((f) => f.path === folder)) {
        return [];
      }
      const lock = await client.getMailboxLock(folder, { readOnly: true });
      try {
        await client.noop(); // the folder may have been selected already: this brings its current count
        if (!client.mailbox || client.mailbox.exists === 0) {
          return [];
        }
        const messages = await client.fetchAll('1:*', { envelope: true });
        return messages.map((m) => m.envelope?.messageId ?? '').sort();
      } finally {
        lock.release();
      }
    },
  };
}
