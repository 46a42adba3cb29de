import type { DB } from '../db/database.ts';
import type { RenderedMail } from './templates.tsx';

/** What a service may do with mail: queue it in the caller's transaction, wake the worker after commit, make links. */
export interface Mailer {
  /** Queues an email in the caller's transaction (pass the trx). Call `deliverSoon()` after commit. */
  enqueue(db: DB, to: string, mail: RenderedMail): Promise<void>;
  /** Wakes this process's worker so queued mail goes out now rather than at the next poll. */
  deliverSoon(): void;
  /** An absolute link under APP_URL, for emails. */
  link(path: string, params?: Record<string, string>): string;
}
