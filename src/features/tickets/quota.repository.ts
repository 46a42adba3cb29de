import type { DB } from '../../db/database.ts';

/**
 * Reserves `bytes` of the user's attachment storage, or returns false when that would pass `limit`. One
 * conditional UPDATE checks and counts together; run it first in the transaction that writes the files, so
 * parallel uploads queue on the user's row (PostgreSQL row lock, SQLite's single writer) and a rollback
 * gives the bytes back. The row starts from what the user already stores.
 */
export async function reserveAttachmentBytes(trx: DB, userId: number, bytes: number, limit: number): Promise<boolean> {
  await trx
    .insertInto('user_quotas')
    .columns(['user_id', 'attachment_bytes'])
    .expression(
      trx
        .selectFrom('attachments as a')
        .innerJoin('ticket_messages as m', 'm.id', 'a.message_id')
        .select((eb) => [
          eb.cast<number>(eb.val(userId), 'integer').as('user_id'),
          eb.fn.coalesce(eb.fn.sum<number>('a.size'), eb.lit(0)).as('attachment_bytes'),
        ])
        .where('m.author_id', '=', userId),
    )
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
  const row = await trx
    .updateTable('user_quotas')
    .set((eb) => ({ attachment_bytes: eb('attachment_bytes', '+', bytes) }))
    .where('user_id', '=', userId)
    .where((eb) => eb(eb('attachment_bytes', '+', bytes), '<=', limit))
    .returning('attachment_bytes')
    .executeTakeFirst();
  return row !== undefined;
}

/** Bytes of attachments a user stores, as counted for the quota (0 before the first upload). */
export async function attachmentBytesOf(db: DB, userId: number): Promise<number> {
  const row = await db
    .selectFrom('user_quotas')
    .select('attachment_bytes')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(row?.attachment_bytes ?? 0);
}

/** Gives each uploader back the bytes of the attachments on the tickets about to be deleted (caller's transaction). */
export async function releaseAttachmentBytes(
  trx: DB,
  tickets: { ticketId: number } | { clientId: number },
): Promise<void> {
  let query = trx
    .selectFrom('attachments as a')
    .innerJoin('ticket_messages as m', 'm.id', 'a.message_id')
    .select((eb) => ['m.author_id', eb.fn.sum<number>('a.size').as('bytes')])
    .groupBy('m.author_id');
  query =
    'ticketId' in tickets
      ? query.where('a.ticket_id', '=', tickets.ticketId)
      : query.where(
          'a.ticket_id',
          'in',
          trx.selectFrom('tickets').select('id').where('client_id', '=', tickets.clientId),
        );
  for (const row of await query.execute()) {
    const bytes = Number(row.bytes);
    if (row.author_id === null || !(bytes > 0)) {
      continue;
    }
    await trx
      .updateTable('user_quotas')
      .set((eb) => ({
        attachment_bytes: eb
          .case()
          .when('attachment_bytes', '>', bytes)
          .then(eb('attachment_bytes', '-', bytes))
          .else(0)
          .end(),
      }))
      .where('user_id', '=', row.author_id)
      .execute();
  }
}
