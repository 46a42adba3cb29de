import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';

/**
 * What a route acts on (a ticket, a target user), loaded and authorized by a `preHandler` before the handler runs,
 * so the handler never sees a subject its user may not act on. Kept beside the request, not on it, so requests keep
 * one shape.
 */
export interface Subject<T> {
  /** A preHandler that loads the subject for the request (throwing `notFound()` when it may not be acted on). */
  loader(load: (request: FastifyRequest) => Promise<T>): preHandlerAsyncHookHandler;
  /** The subject the route's preHandler loaded; a route that forgot the preHandler fails loudly. */
  of(request: FastifyRequest): T;
}

export function defineSubject<T>(name: string): Subject<T> {
  const loaded = new WeakMap<FastifyRequest, T>();
  return {
    loader: (load) =>
      async function loadSubject(request) {
        loaded.set(request, await load(request));
      },
    of(request) {
      if (!loaded.has(request)) {
        throw new Error(`The ${name} was not loaded: add its loader to the route's preHandler`);
      }
      return loaded.get(request) as T;
    },
  };
}
