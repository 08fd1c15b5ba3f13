/**
 * One definition per API route gives the Fastify route, its access rule, its zod validation and
 * its entry in the OpenAPI document, so the documentation cannot drift from what is enforced.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z, type ZodType } from 'zod';
import type { Role } from '../../domain/types.ts';
import { AppError } from '../../errors.ts';
import type { Authenticated } from '../../features/staff-auth.ts';
import type { SessionGuard } from './session-guard.ts';

export type Access = 'public' | 'pending' | Role;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContext<B, Q, P> {
  req: FastifyRequest;
  reply: FastifyReply;
  body: B;
  query: Q;
  params: P;
  ip: string;
}

export interface RouteSpec<B, Q, P, A extends Access> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  access: A;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** Documented success answer (status, schema); errors are documented once for all routes. A
   *  handler that returns nothing answers 204 and should say so here. */
  response?: { status?: number; schema?: ZodType; description?: string };
  handler: (ctx: RouteContext<B, Q, P> & (A extends Role ? { auth: Authenticated } : { auth?: undefined })) => Promise<unknown>;
}

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Which part of the request failed validation, never the value that failed. */
function invalid(where: string, err: z.ZodError): AppError {
  const fields = [...new Set(err.issues.map((i) => [where, ...i.path].join('.')))].slice(0, 5).join(', ');
  return new AppError('invalid_request', 400, `Invalid request: ${fields}`);
}

export class ApiRegistry {
  private readonly paths: Record<string, Record<string, unknown>> = {};

  constructor(private readonly app: FastifyInstance, private readonly guard: SessionGuard) {}

  route<B = undefined, Q = undefined, P = undefined, A extends Access = Access>(spec: RouteSpec<B, Q, P, A>): void {
    this.document(spec);
    this.app.route({
      method: spec.method,
      url: spec.url,
      handler: async (req, reply) => {
        const auth = await this.guard.check(req, spec.access);
        const parse = <T>(schema: ZodType<T> | undefined, value: unknown, where: string): T => {
          if (!schema) return undefined as T;
          const r = schema.safeParse(value ?? {});
          if (!r.success) throw invalid(where, r.error);
          return r.data;
        };
        const ctx = {
          req, reply, ip: req.ip, auth,
          body: parse(spec.body, req.body, 'body'),
          query: parse(spec.query, req.query, 'query'),
          params: parse(spec.params, req.params, 'params'),
        };
        const result = await spec.handler(ctx as never);
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(204).send();
        return reply.code(spec.response?.status ?? 200).send(result);
      },
    });
  }

  private document<B, Q, P, A extends Access>(spec: RouteSpec<B, Q, P, A>): void {
    const path = spec.url.replace(/:(\w+)/g, '{$1}');
    const params = [...spec.url.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = spec.query ? z.toJSONSchema(spec.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] } : undefined;
    const queryParams = Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
      name, in: 'query', required: query?.required?.includes(name) ?? false, schema,
    }));
    const status = String(spec.response?.status ?? 200);
    const errorResponse = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    this.paths[path] ??= {};
    this.paths[path][spec.method.toLowerCase()] = {
      summary: spec.summary,
      tags: [spec.tag],
      'x-access': spec.access,
      security: spec.access === 'public' ? [] : [{ session: [] }],
      parameters: [...params, ...queryParams],
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses: {
        [status]: {
          description: spec.response?.description ?? 'Success',
          ...(spec.response?.schema ? { content: { 'application/json': { schema: z.toJSONSchema(spec.response.schema, { unrepresentable: 'any' }) } } } : {}),
        },
        400: errorResponse, 401: errorResponse, 403: errorResponse, 404: errorResponse, 429: errorResponse,
      },
    };
  }

  openApi(serverUrl: string): unknown {
    return {
      openapi: '3.1.0',
      info: {
        title: 'Bedside staff API',
        version: '1',
        description: 'The API the web inbox uses. Sessions are cookies; state-changing requests need the X-CSRF-Token header. '
          + 'x-access names the lowest role allowed (agent < admin < owner).',
      },
      servers: [{ url: serverUrl }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'bedside_session' },
        },
        schemas: { Error: z.toJSONSchema(errorSchema) },
      },
      paths: this.paths,
    };
  }
}

