import type { FastifyInstance } from 'fastify';

/** The part of the mail plugin a service uses: queue in the caller's transaction, wake the worker after commit. */
export type Mailer = Pick<FastifyInstance['mail'], 'enqueue' | 'link' | 'deliverSoon'>;
