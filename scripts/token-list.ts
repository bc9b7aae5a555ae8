// npm run token:list -- [--remote] [--persist-to DIR]
// Lists API tokens (id, role, label, dates); secrets and their digests are never shown.

import { parseArgs } from "node:util";
import { LIST_TOKENS_SQL, type TokenRow, tokenInfo } from "../src/auth/tokens.ts";
import { d1Query } from "./lib/wrangler.ts";

const { values } = parseArgs({ options: { remote: { type: "boolean", default: false }, "persist-to": { type: "string" } } });
const iso = (t: number | null): string => (t === null ? "-" : new Date(t * 1000).toISOString());
const rows = d1Query<TokenRow>(LIST_TOKENS_SQL, { remote: values.remote, persistTo: values["persist-to"] }).map(tokenInfo);
const now = Math.floor(Date.now() / 1000);
console.log(["id", "role", "state", "created", "expires", "label"].join("\t"));
for (const t of rows) {
  const state = t.revokedAt !== null ? "revoked" : t.expiresAt !== null && t.expiresAt <= now ? "expired" : "active";
  console.log([t.id, t.role, state, iso(t.createdAt), iso(t.expiresAt), t.label ?? ""].join("\t"));
}
