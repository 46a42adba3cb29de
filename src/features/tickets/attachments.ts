import { createHash } from 'node:crypto';
import type { Upload } from '../../plugins/uploads.ts';

export interface AcceptedFile {
  fileName: string;
  contentType: string;
  data: Buffer;
  sha256: string;
}

/**
 * What may be attached, by extension, with the type we serve it as and a check of its first bytes. Never HTML or SVG.
 * The order is the file picker's (the `accept` attribute).
 */
const ALLOWED: Record<string, { type: string; magic?: (b: Buffer) => boolean }> = {
  png: {
    type: 'image/png',
    magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  jpg: { type: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  jpeg: { type: 'image/jpeg', magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  gif: { type: 'image/gif', magic: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  webp: {
    type: 'image/webp',
    magic: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
  pdf: { type: 'application/pdf', magic: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  txt: { type: 'text/plain; charset=utf-8', magic: isPlainText },
  log: { type: 'text/plain; charset=utf-8', magic: isPlainText },
  csv: { type: 'text/csv; charset=utf-8', magic: isPlainText },
  doc: { type: 'application/msword', magic: isOle },
  docx: { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', magic: isZip },
  xls: { type: 'application/vnd.ms-excel', magic: isOle },
  xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', magic: isZip },
  ppt: { type: 'application/vnd.ms-powerpoint', magic: isOle },
  pptx: { type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', magic: isZip },
  odt: { type: 'application/vnd.oasis.opendocument.text', magic: isZip },
  ods: { type: 'application/vnd.oasis.opendocument.spreadsheet', magic: isZip },
  odp: { type: 'application/vnd.oasis.opendocument.presentation', magic: isZip },
};

export const ALLOWED_EXTENSIONS = Object.keys(ALLOWED);

interface UploadLimits {
  maxFiles: number;
  maxBytes: number;
}

function isZip(b: Buffer): boolean {
  return b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
}

function isOle(b: Buffer): boolean {
  return b.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
}

/** Valid UTF-8 without NUL bytes, and not markup a browser would sniff as HTML. */
function isPlainText(b: Buffer): boolean {
  if (b.includes(0)) {
    return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return false;
  }
  return true;
}

/** A name safe to store, show and send back: no path, no control or reserved characters, at most 200 characters. */
export function sanitiseFileName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = [...base.normalize('NFC')]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f && !'<>:"|?*'.includes(c))
    .join('')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return cleaned || 'attachment';
}

/** Checks one upload: returns the file ready to store, or the reason it is refused. */
function checkUpload(upload: Upload, maxBytes: number): AcceptedFile | string {
  if (upload.refused !== undefined) {
    return upload.refused;
  }
  const fileName = sanitiseFileName(upload.fileName);
  const ext = fileName.includes('.') ? (fileName.split('.').pop() ?? '').toLowerCase() : '';
  const rule = ALLOWED[ext];
  if (!rule) {
    return `“${fileName}” is not a file type we accept. Accepted: images (PNG, JPEG, GIF, WebP), PDF, text, CSV and office documents.`;
  }
  if (upload.data.length === 0) {
    return `“${fileName}” is empty.`;
  }
  if (upload.data.length > maxBytes) {
    return `“${fileName}” is larger than ${Math.floor(maxBytes / 1024 / 1024)} MB.`;
  }
  if (rule.magic && !rule.magic(upload.data)) {
    return `“${fileName}” does not look like a .${ext} file.`;
  }
  return {
    fileName,
    contentType: rule.type,
    data: upload.data,
    sha256: createHash('sha256').update(upload.data).digest('hex'),
  };
}

/** `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Checks every uploaded file; one refused file refuses the whole submission, so nothing is half-saved. */
export function acceptUploads(
  uploads: Upload[],
  limits: UploadLimits,
): { files: AcceptedFile[]; error?: string; status?: 413 } {
  // Files the upload plugin did not read (too large, too many): 413, the form comes back with its text.
  const refused = uploads.find((u) => u.refused !== undefined)?.refused;
  if (refused !== undefined) {
    return { files: [], error: refused, status: 413 };
  }
  if (uploads.length > limits.maxFiles) {
    return { files: [], error: `Attach at most ${limits.maxFiles} files.` };
  }
  const files: AcceptedFile[] = [];
  for (const upload of uploads) {
    const checked = checkUpload(upload, limits.maxBytes);
    if (typeof checked === 'string') {
      return { files: [], error: checked };
    }
    files.push(checked);
  }
  return { files };
}
