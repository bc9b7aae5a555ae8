// Shared HTTP helpers for the routers: problem documents, bounded body reads, authentication.

import type { Context, MiddlewareHandler } from "hono";
import { type Permission, type TokenRecord, authenticate, roleAllows } from "../src/auth/tokens.ts";
import type { Credentials } from "../src/consensus/credentials.ts";
import { readLimited } from "../src/encoding/stream.ts";
import { type Problem, ProblemType, problem } from "../src/problem.ts";
import type { Env } from "./env.ts";

export type AppEnv = { Bindings: Env; Variables: { principal: TokenRecord } };

export function problemResponse(p: Problem, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** The one place an unexpected exception ends: the client gets a problem document, the log the stack. */
export function internalError(err: unknown): Response {
  console.error("unhandled error", err);
  return problemResponse(problem(ProblemType.serverInternal, 500, "internal error; the request was not completed"));
}

/** Reads at most `limit` bytes of the body; null when it is longer (the caller answers 413). */
export async function readBody(req: Request, limit: number): Promise<Uint8Array | null> {
  const header = req.headers.get("content-length");
  const declared = header === null ? NaN : Number(header);
  if (declared > limit) return null;
  if (Number.isSafeInteger(declared) && declared >= 0) {
    // HTTP framing makes the body exactly that long: one read instead of a reader loop (a few
    // percent of a CT submission's CPU in bench:ct). The length is checked again all the same.
    const body = new Uint8Array(await req.arrayBuffer());
    return body.length > limit ? null : body;
  }
  return readLimited(req.body, limit);
}

export function tooLarge(limit: number): Response {
  return problemResponse(problem(ProblemType.malformed, 413, `the request body is larger than ${limit} bytes`, { title: "Payload Too Large" }));
}

/** Bearer-token authentication and a role check for one permission. */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      return problemResponse(problem(ProblemType.unauthorized, 401, "this route needs an API token: send Authorization: Bearer <token>"), {
        "www-authenticate": 'Bearer realm="trustchain"',
      });
    }
    const principal = await authenticate(c.env.DB, m[1]!, Math.floor(Date.now() / 1000));
    if (!principal) {
      return problemResponse(problem(ProblemType.unauthorized, 401, "the API token is unknown, revoked or expired"), {
        "www-authenticate": 'Bearer realm="trustchain", error="invalid_token"',
      });
    }
    if (!roleAllows(principal.role, permission)) {
      return problemResponse(problem(ProblemType.unauthorized, 403, `the token's role "${principal.role}" does not allow ${permission}`, { title: "Forbidden" }));
    }
    c.set("principal", principal);
    await next();
  };
}

/**
 * Authentication only, for the zone routes: the token comes as a Bearer token or as the password
 * of HTTP Basic auth (RFC 7617; the user name is ignored), which is what lego's httpreq provider
 * and curl -u send. Whether the principal may touch a given zone is the route's check
 * (roleAllowsZone), made after the zone name is known.
 */
export function requireToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    let presented: string | null = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? null;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
    if (!presented && basic) {
      let decoded = "";
      try {
        decoded = atob(basic);
      } catch {
        decoded = "";
      }
      const colon = decoded.indexOf(":");
      presented = colon >= 0 ? decoded.slice(colon + 1) : null;
    }
    const challenge = { "www-authenticate": 'Bearer realm="trustchain", Basic realm="trustchain"' };
    if (!presented) {
      return problemResponse(problem(ProblemType.unauthorized, 401, "this route needs an API token: Authorization: Bearer <token>, or Basic auth with the token as password"), challenge);
    }
    const principal = await authenticate(c.env.DB, presented, Math.floor(Date.now() / 1000));
    if (!principal) return problemResponse(problem(ProblemType.unauthorized, 401, "the API token is unknown, revoked or expired"), challenge);
    c.set("principal", principal);
    await next();
  };
}

export type AppContext = Context<AppEnv>;

/** The request's bearer token as consensus credentials: each validator authenticates it itself. */
export function bearerCredentials(c: AppContext): Credentials {
  return { kind: "bearer", token: /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "" };
}
