import type { DB } from '../../db/database.ts';

/**
 * The ticket of the first of these Message-IDs (without brackets) that we know: an email we sent about a ticket
 * (mail_outbox keeps the ticket), or an email already added to one (mail_inbox). Ids that are neither are ignored.
 */
export async function ticketIdOfMessageIds(db: DB, ids: string[]): Promise<number | undefined> {
  const wanted = [...new Set(ids)].slice(0, 50);
  if (wanted.length === 0) {
    return undefined;
  }
  const [sent, received] = await Promise.all([
    db
      .selectFrom('mail_outbox')
      .select(['message_id', 'ticket_id'])
      .where(
        'message_id',
        'in',
        wanted.map((id) => `<${id}>`),
      )
      .where('ticket_id', 'is not', null)
      .execute(),
    db
      .selectFrom('mail_inbox')
      .select(['message_id', 'ticket_id'])
      .where('message_id', 'in', wanted)
      .where('status', '=', 'applied')
      .where('ticket_id', 'is not', null)
      .execute(),
  ]);
  const byId = new Map<string, number>();
  for (const row of sent) {
    byId.set(row.message_id.slice(1, -1), row.ticket_id as number);
  }
  for (const row of received) {
    byId.set(row.message_id, row.ticket_id as number);
  }
  for (const id of wanted) {
    const ticketId = byId.get(id);
    if (ticketId !== undefined) {
      return ticketId;
    }
  }
  return undefined;
}
