import EmailReplyParser from 'email-reply-parser';
import { REPLY_ABOVE_LINE } from '../../mail/thread.ts';

/** The line above a forwarded message's headers in `text` (parse.ts writes it; Gmail writes the same). */
export const FORWARDED_MARKER = '---------- Forwarded message ----------';

/**
 * The new part of an emailed reply: the text above our footer's marker and above the first quote header (Gmail's
 * "On … wrote:", even wrapped over two lines; Apple Mail's; Outlook's "-----Original Message-----", its underscore
 * separator and its "From: / Sent: / To: / Subject:" block; the German and French forms), then email-reply-parser for
 * signatures and `>` quotes. Never empty when the message had text: it falls back to the whole text.
 *
 * email-reply-parser's own patterns backtrack badly on long lines and long texts (seconds for 100 KB), so it only ever
 * sees lines of at most MAX_LINE characters (longer ones are swapped for placeholders and put back) and at most
 * MAX_LIBRARY_INPUT characters (some of its patterns are quadratic and worse over the whole text: 3,000 characters take
 * at most about 100 ms). A longer new part is cut at the quote header, at a "-- " signature line and before trailing
 * `>` lines only.
 */
export function replyText(text: string): string {
  const whole = text.replace(/\r\n?/g, '\n').replaceAll('\u0000', '');
  if (!whole.trim()) {
    return '';
  }
  const lines = whole.split('\n');
  const cut = firstQuoteHeader(lines);
  const above = trimLines(lines.slice(0, cut ?? lines.length));
  if (above) {
    return withLibrary(above) || above;
  }
  // Nothing above the history (a bottom-posted reply, or a quote header on the first line): what the library keeps.
  return withLibrary(whole.trim()) || whole.trim();
}

const MAX_LINE = 500;
const MAX_LIBRARY_INPUT = 3_000;
const MAX_HEADER_LINE = 400;

/** For text too long for the library: cut at the signature delimiter (RFC 3676 "-- "), drop trailing `>` lines. */
function withoutSignature(text: string): string {
  const lines = text.split('\n');
  const signature = lines.findIndex((line) => line === '-- ' || line === '--');
  const kept = signature > 0 ? lines.slice(0, signature) : lines;
  while (kept.length > 0 && /^\s*(>.*)?$/.test(kept[kept.length - 1] ?? '')) {
    kept.pop();
  }
  return trimLines(kept);
}

function trimLines(lines: string[]): string {
  return lines.join('\n').trim();
}

function withLibrary(text: string): string {
  if (text.length > MAX_LIBRARY_INPUT) {
    return withoutSignature(text);
  }
  const long: string[] = [];
  const safe = text
    .split('\n')
    .map((line) => {
      if (line.length <= MAX_LINE) {
        return line;
      }
      long.push(line);
      // A quoted line stays a quoted line for the library.
      return `${/^\s*>/.test(line) ? '>' : ''}\u0000${long.length - 1}\u0000`;
    })
    .join('\n');
  const visible = new EmailReplyParser().parseReply(safe);
  // NUL marks the placeholders: replyText removed every NUL of the text itself first.
  // eslint-disable-next-line no-control-regex
  return visible.replace(/>?\u0000(\d+)\u0000/g, (_, i: string) => long[Number(i)] ?? '').trim();
}

// One line each; bounded so that none of them can backtrack for long.
const MARKER = REPLY_ABOVE_LINE.replace(/[.*+?^${}()|[\]\\#-]/g, '\\$&');
const MARKER_LINE = new RegExp(`^[>\\s]*${MARKER}\\s*$`);
const ATTRIBUTION_END = /(?:\bwrote|\bschrieb|a\s+écrit|\bescribió|ha\s+scritto)\s?:\s*$/i;
const ATTRIBUTION_START = /^(?:On|Am|Le|El|Il)\s/;
const ORIGINAL_MESSAGE = /^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}\s*$/i;
const FORWARDED = /^\s*-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré)\s*-{2,}\s*$/i;
const OUTLOOK_SEPARATOR = /^\s*_{10,}\s*$/;
const HEADER_FROM = /^\s*\*?(?:From|Von|De)\s?:\*?\s+\S/;
const HEADER_SENT = /^\s*\*?(?:Sent|Date|Gesendet|Datum|Envoyé)\s?:\*?\s/;
const HEADER_SUBJECT = /^\s*\*?(?:Subject|Betreff|Objet)\s?:\*?/;

/** The index of the line where the quoted history starts, or null. */
function firstQuoteHeader(lines: string[]): number | null {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.length > MAX_HEADER_LINE) {
      continue;
    }
    if (MARKER_LINE.test(line)) {
      // The attribution line the mail program wrote above the quoted notification goes too.
      return precededByAttribution(lines, i);
    }
    if (ATTRIBUTION_START.test(line)) {
      if (ATTRIBUTION_END.test(line)) {
        return i;
      }
      const next = lines[i + 1] ?? '';
      if (next.length <= MAX_HEADER_LINE && !/^\s*>/.test(next) && ATTRIBUTION_END.test(next) && line.trim()) {
        return i;
      }
    }
    if (ORIGINAL_MESSAGE.test(line)) {
      return i;
    }
    if (FORWARDED.test(line)) {
      // A forwarded message is what the sender wants us to read: its header block is no quote header.
      i = endOfHeaderBlock(lines, i + 1);
      continue;
    }
    if (OUTLOOK_SEPARATOR.test(line) && headerBlockAt(lines, i + 1)) {
      return i;
    }
    if (headerBlockAt(lines, i)) {
      return i;
    }
  }
  return null;
}

/** "From: …" followed, within the next few lines, by a date line and a subject line: a quoted message's headers. */
function headerBlockAt(lines: string[], start: number): boolean {
  let i = start;
  while (i < lines.length && !lines[i]?.trim()) {
    i++;
  }
  if (i >= lines.length || !HEADER_FROM.test(lines[i] ?? '')) {
    return false;
  }
  const window = lines.slice(i + 1, i + 6);
  return window.some((l) => HEADER_SENT.test(l)) && window.some((l) => HEADER_SUBJECT.test(l));
}

/** The index of the last line of the header block starting at or after `start` (skipping blank lines). */
function endOfHeaderBlock(lines: string[], start: number): number {
  let i = start;
  while (i < lines.length && !lines[i]?.trim()) {
    i++;
  }
  while (i < lines.length && /^\s*\*?[A-Za-zÀ-ÿ-]{1,30}\s?:/.test(lines[i] ?? '')) {
    i++;
  }
  return i - 1;
}

function precededByAttribution(lines: string[], marker: number): number {
  let i = marker - 1;
  while (i >= 0 && /^[>\s]*$/.test(lines[i] ?? '')) {
    i--;
  }
  if (i >= 0 && ATTRIBUTION_END.test(lines[i] ?? '')) {
    if (ATTRIBUTION_START.test(lines[i] ?? '')) {
      return i;
    }
    if (i >= 1 && ATTRIBUTION_START.test(lines[i - 1] ?? '')) {
      return i - 1;
    }
    return i;
  }
  return marker;
}
