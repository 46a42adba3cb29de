import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';

/**
 * The app as buildApp returns it: Fastify with the TypeBox type provider, so a route's `schema` types its
 * `request.body`, `params` and `query` without a generic. Types only: validation is still Fastify's own ajv
 * (coercion, defaults, removeAdditional), not TypeBox's compiler. Feature plugins take `(app: App)`.
 */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;
