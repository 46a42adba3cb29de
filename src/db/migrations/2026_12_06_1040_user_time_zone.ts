import type { Kysely } from 'kysely';

// users.time_zone: the IANA zone (e.g. Europe/Paris) pages and emails show this user's times in. Null until the
// browser reports one (public/js/app.js) or the user picks one on the account page; null shows the browser's zone
// from its cookie, or UTC.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are frozen in time, not typed against today's schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('time_zone', 'varchar(64)').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('time_zone').execute();
}
