import type { Insertable } from 'kysely';
import type { AuditEventsTable, DB } from '../../db/database.ts';

export async function insertAuditEvent(db: DB, row: Insertable<AuditEventsTable>): Promise<void> {
  await db.insertInto('audit_events').values(row).execute();
}
