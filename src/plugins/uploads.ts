import multipart from '@fastify/multipart';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Upload } from '../features/tickets/attachments.ts';
import { badRequest } from '../lib/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Files from a multipart form, in memory and size-checked; the form's file fields carry just their names. */
    uploads: Upload[];
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * multipart/form-data for forms with attachments. Parsed here, before CSRF and schema validation run, into
 * request.body like any form (file fields carry the file's name) and request.uploads (the bytes), with hard
 * limits on sizes and counts. A malformed body is a 400, never a 500.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_FILES } = app.config.env;
    app.decorateRequest('uploads', null as unknown as Upload[]);
    app.addHook('onRequest', async (request) => {
      request.uploads = [];
    });
    await app.register(multipart, {
      limits: { fileSize: ATTACHMENT_MAX_BYTES, files: ATTACHMENT_MAX_FILES, fields: 30, fieldSize: 200_000, parts: ATTACHMENT_MAX_FILES + 30, headerPairs: 200 },
    });

    app.addHook('preValidation', async (request) => {
      if (!request.isMultipart()) {
        return;
      }
      const body: Record<string, string | string[]> = {};
      const add = (name: string, value: string) => {
        if (FORBIDDEN_KEYS.has(name)) {
          return;
        }
        const existing = body[name];
        body[name] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      };
      try {
        for await (const part of request.parts()) {
          if (part.type === 'file') {
            const data = await part.toBuffer();
            // A file input left empty still sends a part with no name and no bytes.
            if (part.filename || data.length > 0) {
              request.uploads.push({ fileName: part.filename, data });
              add(part.fieldname, part.filename);
            }
          } else {
            add(part.fieldname, typeof part.value === 'string' ? part.value : String(part.value));
          }
        }
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (typeof status === 'number' && status >= 400 && status < 500) {
          throw error;
        }
        throw badRequest('The form data could not be read (a malformed or truncated upload).');
      }
      request.body = body;
    });
  },
  { name: 'uploads', dependencies: ['core'] },
);
