import { Writable } from 'node:stream';

/** Requests not worth a line in development: static files, health checks, the favicon. */
const QUIET = /^\/(assets\/|healthz|readyz|favicon)/;
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every entry has, or that the one request line already shows. */
const BASE_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime']);

interface Entry {
  level?: number;
  time?: number;
  msg?: string;
  reqId?: string;
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  err?: { message?: string; stack?: string };
  [key: string]: unknown;
}

function clock(time: number | undefined): string {
  return new Date(time ?? Date.now()).toISOString().slice(11, 19);
}

function extras(entry: Entry): string {
  const parts = Object.entries(entry)
    .filter(([key]) => !BASE_FIELDS.has(key) && key !== 'err')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/**
 * The development console: one short line per request ("16:20:01 GET /tickets 200 12ms"), none for static files
 * and health checks, other messages as "time level message key=value", an error's stack below it. It reads the
 * same JSON lines production writes (so nothing is logged in development that production would not log).
 */
export function devLogStream(write: (text: string) => void = (t) => process.stdout.write(t)): Writable {
  const pending = new Map<string, { method: string; url: string }>();
  let buffered = '';
  const format = (line: string): string | null => {
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      return line;
    }
    const level = entry.level ?? 30;
    if (entry.msg === 'incoming request' && entry.req && entry.reqId) {
      pending.set(entry.reqId, { method: entry.req.method ?? '?', url: entry.req.url ?? '?' });
      return null;
    }
    if (entry.msg === 'request completed' && entry.reqId) {
      const req = pending.get(entry.reqId);
      pending.delete(entry.reqId);
      if (!req || QUIET.test(req.url)) {
        return null;
      }
      const ms = entry.responseTime === undefined ? '' : ` ${Math.round(entry.responseTime)}ms`;
      return `${clock(entry.time)} ${req.method} ${req.url} ${entry.res?.statusCode ?? '?'}${ms}`;
    }
    const tag = level === 30 ? '' : ` ${LEVELS[level] ?? level}`;
    const stack = entry.err?.stack ? `\n${entry.err.stack}` : entry.err?.message ? ` (${entry.err.message})` : '';
    return `${clock(entry.time)}${tag} ${entry.msg ?? ''}${extras(entry)}${stack}`;
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      const out = lines
        .filter(Boolean)
        .map(format)
        .filter((l): l is string => l !== null);
      if (out.length > 0) {
        write(`${out.join('\n')}\n`);
      }
      done();
    },
  });
}
