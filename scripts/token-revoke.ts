// npm run token:revoke -- --id <token id> [--remote] [--persist-to DIR]
// Revokes an API token; running Workers stop accepting it within TOKEN_CACHE_SECONDS.

import { parseArgs } from "node:util";
import { REVOKE_TOKEN_SQL, TOKEN_CACHE_SECONDS, isTokenId } from "../src/auth/tokens.ts";
import { d1Query, inlineParams } from "./lib/wrangler.ts";

const { values } = parseArgs({ options: { id: { type: "string" }, remote: { type: "boolean", default: false }, "persist-to": { type: "string" } } });
if (!values.id || !isTokenId(values.id)) {
  console.error("usage: npm run token:revoke -- --id <16 hex digits, from token:list> [--remote]");
  process.exit(2);
}
const target = { remote: values.remote, persistTo: values["persist-to"] };
d1Query(inlineParams(REVOKE_TOKEN_SQL, [Math.floor(Date.now() / 1000), values.id]), target);
const left = d1Query<{ revoked_at: number | null }>(inlineParams("SELECT revoked_at FROM api_tokens WHERE id = ?", [values.id]), target);
if (left.length === 0 || left[0]!.revoked_at === null) {
  console.error(`no token with id ${values.id}`);
  process.exit(1);
}
console.error(`Token ${values.id} is revoked; Workers refuse it within ${TOKEN_CACHE_SECONDS} s.`);
