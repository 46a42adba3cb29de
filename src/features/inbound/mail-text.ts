/**
 * Small helpers the inbound parser shares: cleaning text that came in by email, and reading raw header lines.
 */

/** One header as the message carried it (mailparser's headerLines: lower-cased key, the raw folded line). */
export interface HeaderLine {
  key: string;
  line: string;
}

// C0 controls except tab and newline, DEL, C1 controls; bidirectional overrides and isolates (they reorder what staff see); the byte order mark.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Line breaks as `\n`, no NUL or other control characters (tab and newline stay). */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL, '');
}

/** One line of at most `max` characters: control characters gone, whitespace (folding included) collapsed. */
export function cleanLine(text: string, max: number): string {
  const line = cleanText(text).replace(/\s+/g, ' ').trim();
  return [...line].slice(0, max).join('');
}

/**
 * The unfolded values of every `key` header, top of the message first. mailparser keeps a header line's bytes as
 * Latin-1 characters: a line with 8-bit bytes that are valid UTF-8 (RFC 6532 headers) is decoded as UTF-8.
 */
export function headerValues(lines: readonly HeaderLine[], key: string): string[] {
  return lines
    .filter((h) => h.key === key)
    .map((h) => {
      const colon = h.line.indexOf(':');
      return utf8Header(h.line.slice(colon + 1))
        .replace(/\r?\n[ \t]+/g, ' ')
        .trim();
    });
}

function utf8Header(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(value) || /[^\u0000-\u00ff]/.test(value)) {
    return value;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** The domain of an address (after the last @), lower-cased, or null. */
export function domainOf(address: string | null | undefined): string | null {
  if (!address) {
    return null;
  }
  const at = address.lastIndexOf('@');
  const domain = (at >= 0 ? address.slice(at + 1) : address)
    .trim()
    .replace(/^<|>$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  return /^[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}$/.test(domain) && domain.length <= 253 ? domain : null;
}
