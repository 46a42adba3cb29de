import type { DB } from '../../db/database.ts';

/** A bounce reported the address undeliverable: remembered (and counted) for administrators. */
export async function recordUndeliverable(
  db: DB,
  input: { address: string; reason: string; source: string; now: number },
): Promise<void> {
  const address = input.address.trim().toLowerCase().slice(0, 320);
  const reason = input.reason.slice(0, 1000);
  await db
    .insertInto('undeliverable_addresses')
    .values({ address, reason, source: input.source, first_at: input.now, last_at: input.now })
    .onConflict((oc) =>
      oc.column('address').doUpdateSet((eb) => ({
        reason,
        source: input.source,
        last_at: input.now,
        bounces: eb('undeliverable_addresses.bounces', '+', 1),
      })),
    )
    .execute();
}
