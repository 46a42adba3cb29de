/**
 * True when a statement failed on a UNIQUE constraint (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE /
 * PRIMARYKEY). A check for a taken value that runs before the write can lose a race to a parallel request on
 * PostgreSQL; the constraint then decides, and the caller answers as if its check had found the value taken.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
