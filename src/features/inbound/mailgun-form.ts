import type { FastifyRequest } from 'fastify';
import { AppError, badRequest, payloadTooLarge } from '../../lib/errors.ts';
import { MailgunForm, type MailgunFile } from './mailgun-mime.ts';

/** More fields than any message's headers and Mailgun's own fields together. */
const MAX_FIELDS = 2000;
const MAX_FILES = 500;
/** The field that carries the raw message on MIME routes: kept as bytes, whatever its charset. */
const BODY_MIME = 'body-mime';

const tooLarge = () => payloadTooLarge('The message is larger than INBOUND_MAX_BYTES.');

function collect(entries: Array<[string, Buffer]>, files: MailgunFile[]): MailgunForm {
  const fields = new Map<string, string[]>();
  let bodyMime: Buffer | null = null;
  for (const [name, value] of entries) {
    if (name === BODY_MIME) {
      bodyMime = bodyMime === null ? value : Buffer.concat([bodyMime, value]);
      continue;
    }
    const list = fields.get(name) ?? [];
    list.push(value.toString('utf8'));
    fields.set(name, list);
  }
  return new MailgunForm(fields, bodyMime, files);
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/** Percent-decodes to bytes (`+` is a space); a stray `%` is kept as it is. */
function decode(input: Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] as number;
    if (byte === 0x25 && i + 2 < input.length && HEX.test(input.toString('latin1', i + 1, i + 3))) {
      out[length++] = Number.parseInt(input.toString('latin1', i + 1, i + 3), 16);
      i += 2;
    } else {
      out[length++] = byte === 0x2b ? 0x20 : byte;
    }
  }
  return out.subarray(0, length);
}

/**
 * application/x-www-form-urlencoded as Mailgun posts it, decoded to bytes: `body-mime` stays the message's own bytes
 * (a message in ISO-8859-1 or 8-bit is not valid UTF-8, and the app's strict form parser would refuse it); every
 * other field is UTF-8 text, as Mailgun encodes parsed messages.
 */
export function parseMailgunUrlencoded(body: Buffer): MailgunForm {
  const entries: Array<[string, Buffer]> = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end === -1) {
      end = body.length;
    }
    const pair = body.subarray(start, end);
    start = end + 1;
    if (pair.length === 0) {
      continue;
    }
    if (entries.length >= MAX_FIELDS) {
      throw badRequest('The request has too many fields.');
    }
    const eq = pair.indexOf(0x3d);
    const name = decode(eq === -1 ? pair : pair.subarray(0, eq)).toString('utf8');
    entries.push([name, eq === -1 ? Buffer.alloc(0) : decode(pair.subarray(eq + 1))]);
  }
  return collect(entries, []);
}

/** A field's bytes: busboy decodes fields as latin1 here (lossless), unless the part named a charset of its own. */
function fieldBytes(value: string): Buffer {
  // eslint-disable-next-line no-control-regex -- a character above U+00FF means the part was decoded as Unicode
  return /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8') : Buffer.from(value, 'latin1');
}

/**
 * multipart/form-data as Mailgun posts a parsed message with attachments: every part read into memory, each field and
 * file at most `maxBytes` (and the whole request at most the route's bodyLimit, checked from Content-Length by the
 * uploads plugin before a byte is read). A truncated or malformed body is a 4xx.
 */
export async function readMailgunMultipart(request: FastifyRequest, maxBytes: number): Promise<MailgunForm> {
  const entries: Array<[string, Buffer]> = [];
  const files: MailgunFile[] = [];
  try {
    const parts = request.parts({
      defCharset: 'latin1',
      limits: {
        fields: MAX_FIELDS,
        fieldSize: maxBytes,
        files: MAX_FILES,
        fileSize: maxBytes,
        parts: MAX_FIELDS + MAX_FILES,
        headerPairs: 100,
      },
    });
    for await (const part of parts) {
      if (part.type === 'file') {
        const chunks: Buffer[] = [];
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          chunks.push(chunk);
        }
        if (part.file.truncated) {
          throw tooLarge();
        }
        const data = Buffer.concat(chunks);
        if (part.fieldname === BODY_MIME) {
          entries.push([BODY_MIME, data]);
        } else {
          files.push({
            field: part.fieldname,
            fileName: part.filename.slice(0, 255),
            contentType: part.mimetype.slice(0, 200),
            data,
          });
        }
      } else {
        if (part.valueTruncated) {
          throw tooLarge();
        }
        entries.push([part.fieldname, fieldBytes(String(part.value))]);
      }
    }
  } catch (error) {
    if (error instanceof AppError) {
      throw error;
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      throw error;
    }
    throw badRequest('The form data could not be read (a malformed or truncated body).');
  }
  return collect(entries, files);
}
