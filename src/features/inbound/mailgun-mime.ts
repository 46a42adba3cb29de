import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailgunEnvelope } from './inbound-message.ts';

/** A file Mailgun posted with a parsed message (`attachment-1`, `attachment-2`, …). */
export interface MailgunFile {
  field: string;
  fileName: string;
  contentType: string;
  data: Buffer;
}

/** What a Mailgun Route's forward() posted: its text fields, the raw message (MIME routes) and the files. */
export class MailgunForm {
  constructor(
    readonly fields: ReadonlyMap<string, readonly string[]>,
    readonly bodyMime: Buffer | null,
    readonly files: readonly MailgunFile[],
  ) {}

  /** The field's value when it was sent exactly once, else undefined (a repeated signature field is refused). */
  only(name: string): string | undefined {
    const values = this.fields.get(name);
    return values?.length === 1 ? values[0] : undefined;
  }

  /** All of a field's values joined (Mailgun sends one `body-html` per HTML part). */
  joined(name: string): string | undefined {
    const values = this.fields.get(name);
    return values && values.length > 0 ? values.join('\n') : undefined;
  }
}

export type HeaderList = Array<[string, string]>;

const HEADER_NAME = /^[!-9;-~]{1,100}$/;
const MAX_HEADERS = 2000;

/** The header fields of a raw message, unfolded, in order (only the header block is read). */
export function headersOf(raw: Buffer): HeaderList {
  let end = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (end === -1 || (lf !== -1 && lf < end)) {
    end = lf;
  }
  const block = raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
  const out: HeaderList = [];
  for (const line of block.split(/\r?\n/)) {
    const previous = out[out.length - 1];
    if (/^[ \t]/.test(line) && previous) {
      previous[1] = `${previous[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name) || out.length >= MAX_HEADERS) {
      continue;
    }
    out.push([name, line.slice(colon + 1).trim()]);
  }
  return out;
}

/** `message-headers`: a JSON list of [name, value] pairs, in the message's order; null when it is not one. */
export function parseMessageHeaders(json: string | undefined): HeaderList | null {
  if (json === undefined) {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length > MAX_HEADERS) {
    return null;
  }
  const out: HeaderList = [];
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      return null;
    }
    if (HEADER_NAME.test(pair[0])) {
      out.push([pair[0], pair[1]]);
    }
  }
  return out;
}

const last = (headers: HeaderList, name: string) => headers.findLast(([key]) => key.toLowerCase() === name)?.[1];

const verdict = (value: string | undefined) => {
  const word = value?.trim().toLowerCase();
  return word && /^[a-z]{1,20}$/.test(word) ? word : undefined;
};

const address = (value: string | undefined, max: number) => {
  const text = value?.trim().toLowerCase();
  return text && text.length <= max && !/[\r\n]/.test(text) ? text : undefined;
};

/**
 * What Mailgun says beside the message: the SMTP envelope (the `sender` and `recipient` fields of the signed request)
 * and its SPF and DKIM verdicts. Mailgun appends `X-Mailgun-Spf` and `X-Mailgun-Dkim-Check-Result` AFTER the
 * message's own headers, so the last occurrence is Mailgun's and one the sender wrote above it is ignored. Mailgun
 * checks DKIM only when the message carries a DKIM-Signature; without one, a DKIM verdict can only be the sender's own
 * and is dropped. (Mailgun adds X-Mailgun-Spf when the domain's spam filter marks mail with MIME headers: README.)
 */
export function mailgunEnvelope(form: MailgunForm, headers: HeaderList): MailgunEnvelope {
  const signed = headers.some(([key]) => key.toLowerCase() === 'dkim-signature');
  const envelope: MailgunEnvelope = {
    sender: address(form.only('sender'), 320),
    recipient: address(form.only('recipient'), 1000),
    spf: verdict(last(headers, 'x-mailgun-spf')),
    dkim: signed ? verdict(last(headers, 'x-mailgun-dkim-check-result')) : undefined,
  };
  return Object.fromEntries(Object.entries(envelope).filter(([, v]) => v !== undefined));
}

/** The Message-ID header's value (the first one), or null. */
export function messageIdOf(headers: HeaderList): string | null {
  return headers.find(([key]) => key.toLowerCase() === 'message-id')?.[1] ?? null;
}

/** Headers that describe the body: the rebuilt message gets its own. */
const BODY_HEADER = /^(content-|mime-version$)/i;

const clean = (value: string) => value.replace(/[\r\n\0]+/g, ' ');

/** The content-id → field map of inline files (`{"<cid>": "attachment-1"}`), reversed; empty when absent or bad. */
function inlineIds(json: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!json) {
    return out;
  }
  try {
    const map: unknown = JSON.parse(json);
    if (map && typeof map === 'object' && !Array.isArray(map)) {
      for (const [cid, field] of Object.entries(map)) {
        if (typeof field === 'string') {
          out.set(field, cid.replace(/^<|>$/g, ''));
        }
      }
    }
  } catch {
    // No inline images then: the files stay attachments.
  }
  return out;
}

/** A digest of everything a parsed post carries, the same for every delivery of the same message. */
function digestOf(form: MailgunForm, headers: HeaderList): string {
  const hash = createHash('sha256');
  const add = (value: string | Buffer) => hash.update(`${value.length}:`).update(value);
  for (const [name, value] of headers) {
    add(name);
    add(value);
  }
  add(form.joined('body-plain') ?? '');
  add(form.joined('body-html') ?? '');
  for (const file of form.files) {
    add(file.field);
    add(file.fileName);
    add(file.data);
  }
  return hash.digest('hex');
}

/**
 * The raw message of a parsed post, rebuilt: the original header fields from `message-headers` in their order
 * (values on one line each, so no value can add a header of its own), then the body that MailComposer builds from
 * `body-plain`, `body-html` and the files (inline where `content-id-map` names them). A message without a Message-ID
 * gets one derived from its content, so a redelivery of it is still recognised as the same message.
 */
export async function rebuildMessage(form: MailgunForm, headers: HeaderList): Promise<Buffer> {
  const inline = inlineIds(form.only('content-id-map'));
  const composer = new MailComposer({
    text: form.joined('body-plain') ?? '',
    html: form.joined('body-html'),
    attachments: form.files.map((file) => {
      const cid = inline.get(file.field);
      return {
        filename: file.fileName,
        content: file.data,
        contentType: file.contentType,
        ...(cid ? { cid, contentDisposition: 'inline' as const } : {}),
      };
    }),
  });
  const built = await composer.compile().build();
  const split = built.indexOf('\r\n\r\n');
  const bodyHeaders = headersOf(built).filter(([name]) => BODY_HEADER.test(name));
  const lines = headers.filter(([name]) => !BODY_HEADER.test(name)).map(([name, value]) => `${name}: ${clean(value)}`);
  if (messageIdOf(headers) === null) {
    lines.push(`Message-ID: <${digestOf(form, headers)}@mailgun.invalid>`);
  }
  lines.push(...bodyHeaders.map(([name, value]) => `${name}: ${value}`));
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8'), built.subarray(split + 2)]);
}
