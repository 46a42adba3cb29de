import type { DB, OutboxMail } from '../../src/db/database.ts';

/** Emails queued for an address, oldest first (read straight from the durable outbox). */
export function mailsTo(db: DB, address: string): Promise<OutboxMail[]> {
  return db.selectFrom('mail_outbox').selectAll().where('to_address', '=', address).orderBy('id').execute();
}

/** The path and query of the first link in an email's text that points at `path` (e.g. '/verify-email'). */
export function linkIn(mail: OutboxMail | undefined, path: string, base = 'http://127.0.0.1:3000'): string {
  if (!mail) {
    throw new Error('no such email');
  }
  const match = mail.text_body.match(/https?:\/\/\S+/g)?.find((l) => new URL(l).pathname === path);
  if (!match) {
    throw new Error(`no ${path} link in: ${mail.text_body}`);
  }
  if (!match.startsWith(base)) {
    throw new Error(`link ${match} is not under ${base}`);
  }
  const url = new URL(match);
  return `${url.pathname}${url.search}`;
}
