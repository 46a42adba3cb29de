/**
 * Email header values. Some are built from user text (a ticket's subject, a display name): a line break in one would
 * start a header of the attacker's choosing (`Hi\r\nBcc: x@evil`), so every value goes through `headerSafe` when it is
 * queued and again in each transport.
 */

/** RFC 3834: every email Parapet sends is automatic, so auto-responders do not answer it. */
export const AUTO_SUBMITTED = 'auto-generated';

/** The value with every line break and control character (CR, LF, NUL, NEL, U+2028/9) turned into a space. */
export function headerSafe(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ');
}

/** `"Name" <address>`: the display name as an RFC 5322 quoted-string (`\` and `"` escaped), so any name is safe. */
export function formatAddress(name: string, address: string): string {
  const quoted = headerSafe(name).replace(/[\\"]/g, (c) => `\\${c}`);
  return `"${quoted}" <${headerSafe(address)}>`;
}

/** The headers an outbox row keeps (mail_outbox.headers, a JSON object) besides its subject and Message-ID. */
export interface StoredHeaders {
  'Auto-Submitted': typeof AUTO_SUBMITTED;
  /** Ticket mail with SUPPORT_ADDRESS set; otherwise the worker's MAIL_FROM. */
  From?: string;
  'Reply-To'?: string;
  'In-Reply-To'?: string;
  References?: string;
}

function parseJson(json: string | null): unknown {
  try {
    return json === null ? null : JSON.parse(json);
  } catch {
    return null;
  }
}

const OPTIONAL = ['From', 'Reply-To', 'In-Reply-To', 'References'] as const;

/**
 * The stored headers of an outbox row: only the known names, only strings, made header-safe. A row queued before
 * headers were stored (null) or an unreadable value still gets `Auto-Submitted`.
 */
export function readStoredHeaders(json: string | null): StoredHeaders {
  const headers: StoredHeaders = { 'Auto-Submitted': AUTO_SUBMITTED };
  const parsed = parseJson(json);
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    for (const name of OPTIONAL) {
      const value = record[name];
      if (typeof value === 'string' && value.length > 0 && value.length <= 1000) {
        headers[name] = headerSafe(value);
      }
    }
  }
  return headers;
}
