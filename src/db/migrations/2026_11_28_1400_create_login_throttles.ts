import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  // Consecutive failures per attempted email (known or not, so locks reveal nothing about who has an account).
  await db.schema
    .createTable('login_throttles')
    .addColumn('key', 'char(64)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('login_throttles_last_idx').on('login_throttles').column('last_failure_at').execute();
  await db.schema.createIndex('failed_logins_email_idx').on('failed_logins').columns(['email', 'created_at']).execute();
  await db.schema
    .createIndex('audit_events_actor_idx')
    .on('audit_events')
    .columns(['actor_user_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('audit_events_target_idx')
    .on('audit_events')
    .columns(['target_user_id', 'created_at'])
    .execute();
  await db.schema.createIndex('audit_events_ip_idx').on('audit_events').columns(['ip', 'created_at']).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'audit_events_ip_idx',
    'audit_events_target_idx',
    'audit_events_actor_idx',
    'failed_logins_email_idx',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.dropTable('login_throttles').execute();
}
