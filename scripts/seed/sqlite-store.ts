// SQLite: the raw better-sqlite3 handle, prepared statements, one transaction per batch, and the FTS5 rows
// written in the same loop (rowid = message id, or minus the ticket id for the subject; owner 'c<client id>' on what
// the client may find), as the app does.
import type SQLite from 'better-sqlite3';
import { ownerToken } from '../../src/features/tickets/ticket.repository.ts';
import type { GenTicket } from './generate.ts';
import type { ResetCounts, Store } from './store.ts';

type Row = Record<string, unknown>;

export function createSqliteStore(db: SQLite.Database, opts: { batchSize?: number } = {}): Store {
  const scalar = (query: string, ...params: unknown[]) =>
    Number(Object.values((db.prepare(query).get(...params) as Row | undefined) ?? {})[0] ?? 0);
  const sequence = (table: string) =>
    db.prepare(`select name from sqlite_master where name = 'sqlite_sequence'`).get()
      ? scalar(`select coalesce(max(seq), 0) from sqlite_sequence where name = ?`, table)
      : 0;
  const maxId = (table: string) => Math.max(scalar(`select coalesce(max(id), 0) from ${table}`), sequence(table));

  let saved: { synchronous: number; cacheSize: number; autocheckpoint: number; foreignKeys: number } | undefined;
  let statements: ReturnType<typeof prepareInserts> | undefined;

  function prepareInserts() {
    const ticket = db.prepare(
      `insert into tickets (id, client_id, created_by, assignee_id, subject, status, priority, category, message_count, created_at, updated_at, client_updated_at, resolved_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const message = db.prepare(
      `insert into ticket_messages (id, ticket_id, author_id, kind, body, created_at) values (?, ?, ?, ?, ?, ?)`,
    );
    const fts = db.prepare(`insert into ticket_fts (rowid, text, owner) values (?, ?, ?)`);
    const write = db.transaction((batch: GenTicket[]) => {
      for (const t of batch) {
        ticket.run(
          t.id,
          t.clientId,
          t.createdBy,
          t.assigneeId,
          t.subject,
          t.status,
          t.priority,
          t.category,
          t.messageCount,
          t.createdAt,
          t.updatedAt,
          t.clientUpdatedAt,
          t.resolvedAt,
        );
        const owner = ownerToken(t.clientId);
        fts.run(-t.id, t.subject, owner);
        for (const m of t.messages) {
          message.run(m.id, t.id, m.authorId, m.kind, m.body, m.createdAt);
          // Events are not searchable; notes are, for staff only (no owner).
          if (m.kind !== 'event') {
            fts.run(m.id, m.body, m.kind === 'message' ? owner : '');
          }
        }
      }
    });
    return { write };
  }

  return {
    kind: 'sqlite',
    batchSize: opts.batchSize ?? 5000,

    async maxIds() {
      return { users: maxId('users'), tickets: maxId('tickets'), messages: maxId('ticket_messages') };
    },

    async countTickets() {
      return scalar('select count(*) from tickets');
    },

    async usersWithDomain(domain) {
      return db.prepare(`select id, email from users where email like ?`).all(`%@${domain}`) as Array<{
        id: number;
        email: string;
      }>;
    },

    async reset(userIds) {
      const counts: ResetCounts = {
        tickets: scalar('select count(*) from tickets'),
        messages: scalar('select count(*) from ticket_messages'),
        attachments: scalar('select count(*) from attachments'),
        users: 0,
      };
      // Without foreign keys, DELETE without WHERE truncates instead of deleting row by row (and cascading).
      db.pragma('foreign_keys = OFF');
      try {
        db.transaction(() => {
          for (const table of ['attachment_blobs', 'attachments', 'ticket_messages', 'tickets']) {
            db.prepare(`delete from ${table}`).run();
          }
          // Emptying a 6-million-row FTS5 table row by row takes minutes: recreate it from its own definition.
          const fts = db.prepare(`select sql from sqlite_master where type = 'table' and name = 'ticket_fts'`).get() as
            { sql: string } | undefined;
          if (fts) {
            // Its settings (such as pgsz) live in ticket_fts_config, which goes with it: set them again.
            const settings = db.prepare(`select k, v from ticket_fts_config where k <> 'version'`).all() as Array<{
              k: string;
              v: unknown;
            }>;
            db.exec('drop table ticket_fts');
            db.exec(fts.sql);
            for (const { k, v } of settings) {
              // FTS5 takes these commands as literals only (bound values fail); they are its own numeric settings.
              if (/^[a-z-]+$/.test(k) && typeof v === 'number') {
                db.exec(`insert into ticket_fts (ticket_fts, rank) values ('${k}', ${v})`);
              }
            }
          }
        })();
      } finally {
        db.pragma('foreign_keys = ON');
      }
      // With foreign keys on again, sessions, tokens and recovery codes go with their users.
      const remove = db.prepare('delete from users where id = ?');
      db.transaction(() => {
        for (const id of userIds) {
          counts.users += remove.run(id).changes;
        }
      })();
      return counts;
    },

    async saveUsers(insert, update, passwordHash, now) {
      const add = db.prepare(
        `insert into users (id, email, name, password_hash, role, email_verified_at, disabled_at, created_at, updated_at, last_login_at, totp_secret_enc, totp_enabled_at, totp_last_step)
         values (?, ?, ?, ?, ?, ?, null, ?, ?, null, ?, ?, null)`,
      );
      const change = db.prepare(
        `update users set name = ?, role = ?, password_hash = ?, email_verified_at = coalesce(email_verified_at, ?), disabled_at = null,
           totp_secret_enc = ?, totp_enabled_at = ?, totp_last_step = null, updated_at = ? where id = ?`,
      );
      db.transaction(() => {
        for (const u of insert) {
          add.run(
            u.id,
            u.email,
            u.name,
            passwordHash,
            u.role,
            u.createdAt,
            u.createdAt,
            u.createdAt,
            u.totpSecretEnc,
            u.createdAt,
          );
        }
        for (const u of update) {
          change.run(u.name, u.role, passwordHash, now, u.totpSecretEnc, now, now, u.id);
        }
      })();
    },

    async beginLoad() {
      saved = {
        synchronous: Number(db.pragma('synchronous', { simple: true })),
        cacheSize: Number(db.pragma('cache_size', { simple: true })),
        autocheckpoint: Number(db.pragma('wal_autocheckpoint', { simple: true })),
        foreignKeys: Number(db.pragma('foreign_keys', { simple: true })),
      };
      // journal_mode stays WAL. Ids are computed here, so the foreign keys hold by construction.
      db.pragma('synchronous = OFF');
      db.pragma('foreign_keys = OFF');
      db.pragma('cache_size = -524288'); // 512 MiB
      db.pragma('temp_store = MEMORY');
      db.pragma('wal_autocheckpoint = 20000');
      statements = prepareInserts();
    },

    async writeTickets(batch) {
      (statements ?? (statements = prepareInserts())).write(batch);
    },

    async flush() {},

    async endLoad(analyze) {
      if (saved) {
        // Merge the index's segments into one b-tree, as the migration that builds it does: searches that combine
        // words (a client's words and its owner token) are about 3 times faster than over a bulk load's segments.
        db.exec(`insert into ticket_fts (ticket_fts) values ('optimize')`);
        db.pragma(`synchronous = ${saved.synchronous}`);
        db.pragma(`foreign_keys = ${saved.foreignKeys}`);
        db.pragma(`cache_size = ${saved.cacheSize}`);
        db.pragma(`wal_autocheckpoint = ${saved.autocheckpoint}`);
        db.pragma('temp_store = DEFAULT');
        saved = undefined;
      }
      if (analyze) {
        db.exec('analyze');
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
    },

    async busiestClient() {
      return db
        .prepare(
          `select u.id, u.email, c.n as tickets from (select client_id, count(*) as n from tickets group by client_id order by n desc limit 1) c
           join users u on u.id = c.client_id`,
        )
        .get() as { id: number; email: string; tickets: number } | undefined;
    },
  };
}
