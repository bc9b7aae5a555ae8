// The OpenAPI 3.1 document of /api/v1 (served at /api/v1/openapi.json), built from the same zod
// schemas the routers validate request bodies with (workers/api-schemas.ts). Routers register
// each route's description here next to its handler; validBody turns a body that does not match
// its schema into a problem document (400, malformed), not zod's own error shape.

import { OpenAPIHono, type RouteConfig, type z } from "@hono/zod-openapi";
import { Hono } from "hono";
import { ProblemType, problem } from "../src/problem.ts";
import { type AppContext, type AppEnv, problemResponse, readBody, tooLarge } from "./http.ts";

/** Holds the registry of documented routes; it serves nothing itself. */
const registry = new OpenAPIHono();

registry.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
  type: "http",
  scheme: "bearer",
  description: "An API token (npm run token:create, or POST /api/v1/tokens as admin). Zone routes also take it as the password of HTTP Basic auth.",
});

/** Registers a route's description (full path, OpenAPI {param} syntax) and returns it. */
export function documented<R extends RouteConfig>(route: R): R {
  registry.openAPIRegistry.registerPath(route);
  return route;
}

/** The problem responses a route can give, described once (RFC 9457, application/problem+json). */
export function problems(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503)[]): Record<number, { description: string }> {
  const text: Record<number, string> = {
    400: "malformed request (problem document)",
    401: "no API token, or an unknown, revoked or expired one (problem document)",
    403: "the token's role does not allow this (problem document)",
    404: "not found (problem document)",
    409: "conflict (problem document)",
    413: "the body is too large (problem document)",
    415: "unsupported media type (problem document)",
    422: "the change would exceed a limit, such as a zone size limit (problem document)",
    429: "rate limited, with Retry-After (problem document, type rateLimited)",
    503: "a dependency is unavailable (problem document)",
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s]! }]));
}

export const BEARER = [{ bearer: [] }];

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}

/**
 * Reads at most `limit` bytes as JSON (whatever the Content-Type: curl -d sends form encoding)
 * and checks it against `schema`. An empty body is `{}` where `emptyIsObject`.
 */
export async function validBody<S extends z.ZodType>(
  c: AppContext,
  schema: S,
  limit: number,
  opts: { emptyIsObject?: boolean } = {},
): Promise<{ ok: true; value: z.infer<S> } | { ok: false; response: Response }> {
  const body = await readBody(c.req.raw, limit);
  if (!body) return { ok: false, response: tooLarge(limit) };
  let parsed: unknown;
  if (body.length === 0 && opts.emptyIsObject) {
    parsed = {};
  } else {
    try {
      parsed = JSON.parse(new TextDecoder().decode(body));
    } catch {
      return { ok: false, response: problemResponse(problem(ProblemType.malformed, 400, "the body is not valid JSON")) };
    }
  }
  const r = schema.safeParse(parsed);
  if (!r.success) return { ok: false, response: problemResponse(problem(ProblemType.malformed, 400, `the body does not match its schema: ${describeIssues(r.error)}`)) };
  return { ok: true, value: r.data };
}

let cached: unknown = null;

export function openApiDocument(): unknown {
  cached ??= registry.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "TrustChain API",
      version: "1",
      description: "Certificates from CSRs, revocation, search, hosted DNS zones, the DNS-01 hook and API tokens. Errors are RFC 9457 problem documents.",
    },
    servers: [{ url: "/" }],
  });
  return cached;
}

export const openapi = new Hono<AppEnv>();

openapi.get("/api/v1/openapi.json", (c) => c.json(openApiDocument() as object, 200, { "cache-control": "public, max-age=300" }));
