import type { FastifyRequest } from 'fastify';
import type { Origin } from '../lib/origin.ts';

export function originOf(request: FastifyRequest): Origin {
  return { ip: request.ip, userAgent: (request.headers['user-agent'] ?? '').slice(0, 512) };
}
