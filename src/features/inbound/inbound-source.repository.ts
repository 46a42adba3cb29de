import type { DB, InboxSource } from '../../db/database.ts';

/**
 * The inbound_sources row of a source: the lease that lets one process in the whole deployment poll it (the IMAP
 * mailbox), and what the Mail page shows about it. Status columns: last_poll_at (a pass over the mailbox began),
 * last_success_at (a pass ended with every message stored and moved), last_error and last_error_at (the latest
 * problem, kept after a later success so that administrators see it: it is current when last_error_at is after
 * last_success_at), received_count (messages taken from the mailbox, redeliveries included).
 */

/**
 * Takes the source's lease for `owner` when nobody holds it, it ran out, or `owner` holds it already (renewing it).
 * One statement: PostgreSQL re-checks the WHERE on the row it locked and SQLite has one writer, so of two processes
 * racing for it exactly one succeeds.
 */
export async function takeSourceLease(
  db: DB,
  name: InboxSource,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  await db
    .insertInto('inbound_sources')
    .values({ name })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const result = await db
    .updateTable('inbound_sources')
    .set({ lease_owner: owner, lease_until: now + leaseMs })
    .where('name', '=', name)
    .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now), w('lease_owner', '=', owner)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Extends the lease `owner` holds; false when another process has taken it (then `owner` must stop polling). */
export async function renewSourceLease(
  db: DB,
  name: InboxSource,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable('inbound_sources')
    .set({ lease_until: now + leaseMs })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Gives the lease up (at shutdown) so another process takes over at once instead of when it runs out. */
export async function releaseSourceLease(db: DB, name: InboxSource, owner: string): Promise<void> {
  await db
    .updateTable('inbound_sources')
    .set({ lease_owner: null, lease_until: null })
    .where('name', '=', name)
    .where('lease_owner', '=', owner)
    .execute();
}

export async function recordSourcePoll(db: DB, name: InboxSource, now: number): Promise<void> {
  await db.updateTable('inbound_sources').set({ last_poll_at: now }).where('name', '=', name).execute();
}

export async function recordSourceSuccess(db: DB, name: InboxSource, now: number): Promise<void> {
  await db.updateTable('inbound_sources').set({ last_success_at: now }).where('name', '=', name).execute();
}

/** Counts one message taken from the source (stored, or found stored already, and moved). Atomic. */
export async function countSourceReceived(db: DB, name: InboxSource): Promise<void> {
  await db
    .updateTable('inbound_sources')
    .set((eb) => ({ received_count: eb('received_count', '+', 1) }))
    .where('name', '=', name)
    .execute();
}

export async function recordSourceError(db: DB, name: InboxSource, now: number, error: string): Promise<void> {
  await db
    .updateTable('inbound_sources')
    .set({ last_error: error.slice(0, 1000), last_error_at: now })
    .where('name', '=', name)
    .execute();
}

/** What the Mail page shows about a source; undefined before its first poll. */
export async function findInboundSource(db: DB, name: InboxSource) {
  return db.selectFrom('inbound_sources').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A message the Mailgun webhook stored: the Mail page shows when the last one came and how many did. One upsert. */
export async function recordWebhookDelivery(db: DB, name: InboxSource, now: number): Promise<void> {
  await db
    .insertInto('inbound_sources')
    .values({ name, last_poll_at: now, last_success_at: now, received_count: 1 })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        last_poll_at: now,
        last_success_at: now,
        received_count: eb('inbound_sources.received_count', '+', 1),
      })),
    )
    .execute();
}
