// How operator scripts reach a deployment's admin API: --url (default http://localhost:8787) and
// --token (or TRUSTCHAIN_TOKEN). For a local deployment without a token, a short-lived admin token
// is created in its D1 state (--persist-to, as token:create does) and used for this one run.

import { INSERT_TOKEN_SQL, insertTokenParams, newToken } from "../../src/auth/tokens.ts";
import { d1Query, inlineParams } from "./wrangler.ts";

export interface AdminTarget {
  url: string;
  token: string;
}

export const ADMIN_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  "persist-to": { type: "string" },
} as const;

export async function adminTarget(values: { url?: string; token?: string; "persist-to"?: string }, purpose: string): Promise<AdminTarget> {
  const url = (values.url ?? "http://localhost:8787").replace(/\/+$/, "");
  const token = values.token ?? process.env.TRUSTCHAIN_TOKEN;
  if (token) return { url, token };
  const t = await newToken();
  const now = Math.floor(Date.now() / 1000);
  d1Query(inlineParams(INSERT_TOKEN_SQL, insertTokenParams({ id: t.id, hash: t.hash, role: "admin", label: purpose, createdAt: now, expiresAt: now + 600 })), {
    persistTo: values["persist-to"],
  });
  return { url, token: t.token };
}

/** Calls the admin API; exits with the problem document's detail on failure. */
export async function adminCall<T>(target: AdminTarget, method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${target.url}/api/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${target.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    console.error(`cannot reach ${target.url}: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const json = (await res.json().catch(() => null)) as (T & { detail?: string }) | null;
  if (!res.ok || json === null) {
    console.error(`${method} ${path} failed (${res.status}): ${json?.detail ?? "no problem document"}`);
    process.exit(1);
  }
  return json;
}
