import multipart, { type MultipartFile } from '@fastify/multipart';
import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Upload } from '../features/tickets/attachments.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Files from a multipart form, in memory and size-checked; the form's file fields carry just their names. */
    uploads: Upload[];
  }
}

/**
 * multipart/form-data for forms with attachments. Fields land in request.body like any form (so CSRF and
 * schemas work unchanged); files are buffered with hard limits on size and count.
 */
export default fp(
  async (app: FastifyInstance) => {
    const { ATTACHMENT_MAX_BYTES, ATTACHMENT_MAX_FILES } = app.config.env;
    app.decorateRequest('uploads', null as unknown as Upload[]);
    app.addHook('onRequest', async (request) => {
      request.uploads = [];
    });
    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: ATTACHMENT_MAX_BYTES, files: ATTACHMENT_MAX_FILES, fields: 30, fieldSize: 200_000, parts: ATTACHMENT_MAX_FILES + 30, headerPairs: 200 },
      async onFile(this: FastifyRequest, part: MultipartFile & { value?: unknown }) {
        const data = await part.toBuffer();
        // A file input left empty still sends a part with no name and no bytes.
        if (part.filename || data.length > 0) {
          this.uploads.push({ fileName: part.filename, data });
        }
        part.value = part.filename;
      },
    });
  },
  { name: 'uploads', dependencies: ['core'] },
);
