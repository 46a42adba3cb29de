import { pipeline, Transform, type Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Env } from '../config.ts';
import {
  AppError,
  badRequest,
  csrfError,
  lengthRequired,
  payloadTooLarge,
  unsupportedMediaType,
} from '../lib/errors.ts';
import { isCsrfValid } from './csrf.ts';

/** One file from a multipart form, read into memory (size-checked, not yet content-checked). */
export interface Upload {
  fileName: string;
  data: Buffer;
  /**
   * Why the file was not read (too large, too many files): its bytes were dropped, and the form is answered with
   * this message next to its file field, the text the user typed kept.
   */
  refused?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Files from a multipart form, in memory and size-checked; the form's file fields carry just their names. */
    uploads: Upload[];
  }
  interface FastifyContextConfig {
    /** The route takes file attachments. Only such routes accept multipart/form-data; every other route answers 415. */
    uploads?: boolean;
  }
}

/** Set in preParsing: the declared length is over the route's bodyLimit, so only the text fields before the files are read. */
const OVERSIZED = Symbol('oversized upload');
type MarkedRequest = FastifyRequest & { [OVERSIZED]?: boolean };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_FIELDS = 30;
const MAX_FIELD_BYTES = 200_000;
/** Room for the form's text fields and the parts' headers next to the files, in the whole-request cap. */
export const FIELDS_MARGIN_BYTES = 512 * 1024;

/** The most an upload route reads of one request, files and fields together: its Fastify `bodyLimit`. */
export function uploadBodyLimit(env: Pick<Env, 'ATTACHMENT_MAX_BYTES' | 'ATTACHMENT_MAX_FILES'>): number {
  return env.ATTACHMENT_MAX_FILES * env.ATTACHMENT_MAX_BYTES + FIELDS_MARGIN_BYTES;
}

function isMultipartType(request: FastifyRequest): boolean {
  return /^\s*multipart\//i.test(request.headers['content-type'] ?? '');
}

/** Errors (413) once more than `limit` bytes have come through, and before, when the declared length says so. */
function capStream(request: FastifyRequest, payload: Readable, limit: number, ignoreDeclared = false): Readable {
  if (!ignoreDeclared && Number(request.headers['content-length']) > limit) {
    throw payloadTooLarge('The form is too large.');
  }
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? payloadTooLarge('The form is too large.') : null, chunk);
    },
  });
  pipeline(payload, counter, () => {});
  return counter;
}

const megabytes = (bytes: number) => Math.floor(bytes / 1024 / 1024);

/**
 * multipart/form-data, only on the routes marked `config.uploads`, and nothing read before the guard:
 * - every other route answers 415 in preParsing, before a byte of the body is read, except webhooks (access
 *   'webhook'), which get the same Content-Length checks and read their parts themselves, with their own limits;
 * - onRequest has already checked the session and the route's access (anonymous: 401, wrong role: 404);
 * - upload routes need a Content-Length (else 411); Node's parser never delivers more than the declared length,
 *   so the route's bodyLimit caps what is read. A declared length over it: only the text fields before the first
 *   file are read (at most FIELDS_MARGIN_BYTES), no file byte, and the form is answered again (413) with its text;
 * - the CSRF token must come in the x-csrf-token header or as the form's FIRST part (the hidden `_csrf`
 *   input first in the form); otherwise 403 before any file part is read;
 * - each file is read into memory up to ATTACHMENT_MAX_BYTES; one byte beyond, the rest of it is dropped unread
 *   and the upload is marked `refused`: the route answers 413 with the form and the text kept (nothing saved).
 *   More files than ATTACHMENT_MAX_FILES: the same, with the fields read so far.
 * Refused requests get `Connection: close`, so the socket stops being read. A malformed body is a 4xx, never a 5xx.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { config } = app;
    const { ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_FILES } = config.env;
    const tooLargeInAll = `The files are too large together: at most ${ATTACHMENT_MAX_FILES} files of up to ${megabytes(ATTACHMENT_MAX_BYTES)} MB each.`;
    app.decorateRequest('uploads', null as unknown as Upload[]);
    app.addHook('onRequest', async (request) => {
      request.uploads = [];
    });
    await app.register(multipart, {
      throwFileSizeLimit: false,
      limits: {
        // One byte more than allowed, so the reader below sees that a file is too large and stops there.
        fileSize: ATTACHMENT_MAX_BYTES + 1,
        files: ATTACHMENT_MAX_FILES,
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELD_BYTES,
        parts: ATTACHMENT_MAX_FILES + MAX_FIELDS,
        headerPairs: 200,
      },
    });

    app.addHook('preParsing', async (request, _reply, payload) => {
      // Fastify reads no body for GET and HEAD, nor for its own 404.
      if (request.is404 || request.method === 'GET' || request.method === 'HEAD') {
        return payload;
      }
      if (!isMultipartType(request)) {
        // The route's bodyLimit is sized for files: its plain forms keep the app-wide limit.
        return request.routeOptions.config.uploads ? capStream(request, payload, config.env.BODY_LIMIT_BYTES) : payload;
      }
      // A webhook (access 'webhook') reads its own multipart body, after its signature check, with its own limits.
      if (!request.routeOptions.config.uploads && request.routeOptions.config.access !== 'webhook') {
        throw unsupportedMediaType();
      }
      const declared = request.headers['content-length'];
      if (declared === undefined) {
        throw lengthRequired();
      }
      const limit = request.routeOptions.bodyLimit;
      if (Number(declared) > limit) {
        if (!request.routeOptions.config.uploads) {
          throw payloadTooLarge('The request is too large.');
        }
        // Too large for the files to be read, but the text fields come first: only they are read (at most the
        // fields' margin), so the form comes back with the text kept; the files are not read at all.
        (request as MarkedRequest)[OVERSIZED] = true;
        return capStream(request, payload, FIELDS_MARGIN_BYTES, true);
      }
      return payload;
    });

    // Registered before the csrf plugin, so this runs before its preValidation hook, which then finds the
    // verified token in the body.
    app.addHook('preValidation', async (request) => {
      if (!request.routeOptions.config.uploads || !request.isMultipart()) {
        return;
      }
      const header = request.headers['x-csrf-token'];
      let verified = false;
      if (header !== undefined) {
        if (!isCsrfValid(config, request, header)) {
          request.log.warn({ event: 'csrf.rejected' }, 'CSRF check failed (upload header)');
          throw csrfError();
        }
        verified = true;
      }
      const body: Record<string, string | string[]> = {};
      const add = (name: string, value: string) => {
        if (FORBIDDEN_KEYS.has(name)) {
          return;
        }
        const existing = body[name];
        body[name] =
          existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      };
      try {
        for await (const part of request.parts()) {
          if (!verified) {
            // Without the header, the first part must be the token: nothing after it is read unless it is valid.
            if (part.type !== 'field' || part.fieldname !== '_csrf' || !isCsrfValid(config, request, part.value)) {
              request.log.warn({ event: 'csrf.rejected' }, 'CSRF check failed (upload without a leading token)');
              throw csrfError();
            }
            verified = true;
          }
          if (part.type === 'file') {
            if ((request as MarkedRequest)[OVERSIZED]) {
              // The files are not read: the form is answered with what came before them.
              request.uploads.push({ fileName: part.filename, data: Buffer.alloc(0), refused: tooLargeInAll });
              add(part.fieldname, part.filename);
              break;
            }
            const chunks: Buffer[] = [];
            let size = 0;
            let refused: string | undefined;
            // Busboy stops a file one byte past the limit and goes on to the next part: the rest is dropped unread.
            for await (const chunk of part.file as AsyncIterable<Buffer>) {
              size += chunk.length;
              if (size > ATTACHMENT_MAX_BYTES) {
                refused = `“${part.filename}” is larger than ${megabytes(ATTACHMENT_MAX_BYTES)} MB.`;
              } else {
                chunks.push(chunk);
              }
            }
            // A file input left empty still sends a part with no name and no bytes.
            if (refused !== undefined) {
              request.uploads.push({ fileName: part.filename, data: Buffer.alloc(0), refused });
              add(part.fieldname, part.filename);
            } else if (part.filename || size > 0) {
              request.uploads.push({ fileName: part.filename, data: Buffer.concat(chunks, size) });
              add(part.fieldname, part.filename);
            }
          } else {
            add(part.fieldname, typeof part.value === 'string' ? part.value : String(part.value));
          }
        }
      } catch (error) {
        if (error instanceof AppError) {
          throw error;
        }
        const code = (error as { code?: string }).code;
        if (verified && code === 'FST_FILES_LIMIT') {
          // More files than allowed: the form comes back with the fields read so far.
          request.uploads.push({
            fileName: '',
            data: Buffer.alloc(0),
            refused: `Attach at most ${ATTACHMENT_MAX_FILES} files.`,
          });
        } else {
          const status = (error as { statusCode?: number }).statusCode;
          if (typeof status === 'number' && status >= 400 && status < 500) {
            throw error;
          }
          throw badRequest('The form data could not be read (a malformed or truncated upload).');
        }
      }
      if (!verified) {
        throw csrfError();
      }
      request.body = body;
    });

    // A request refused before its body was read: close the connection rather than read the rest of it. A small
    // one (a text-only form sent after the session ended) is read to its end by Node instead, so that the browser,
    // still sending, is not cut off and shows the answer.
    app.addHook('onSend', async (request, reply) => {
      if (
        isMultipartType(request) &&
        !request.raw.complete &&
        !(Number(request.headers['content-length']) <= FIELDS_MARGIN_BYTES)
      ) {
        reply.header('connection', 'close');
      }
    });
  },
  { name: 'uploads', dependencies: ['core'] },
);
