// npm run token:create -- --role admin [--label "ops laptop"] [--expires-days 90] [--remote]
// Creates an API token, stores only its SHA-256 in D1, and prints the token once.

import { parseArgs } from "node:util";
import { INSERT_TOKEN_SQL, insertTokenParams, newToken, parseRole } from "../src/auth/tokens.ts";
import { d1Query, inlineParams } from "./lib/wrangler.ts";

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    label: { type: "string" },
    "expires-days": { type: "string" },
    remote: { type: "boolean", default: false },
    "persist-to": { type: "string" },
  },
});

const role = values.role ? parseRole(values.role) : null;
if (!role) {
  console.error("usage: npm run token:create -- --role <admin|issuer|revoker|reader|zone:NAME> [--label TEXT] [--expires-days N] [--remote]");
  process.exit(2);
}
const now = Math.floor(Date.now() / 1000);
const days = values["expires-days"] ? Number(values["expires-days"]) : undefined;
if (days !== undefined && !(days > 0)) {
  console.error("--expires-days must be a positive number");
  process.exit(2);
}
const t = await newToken();
d1Query(
  inlineParams(
    INSERT_TOKEN_SQL,
    insertTokenParams({ id: t.id, hash: t.hash, role, label: values.label, createdAt: now, expiresAt: days ? now + Math.round(days * 86400) : undefined }),
  ),
  { remote: values.remote, persistTo: values["persist-to"] },
);
console.error(`Created token ${t.id} with role ${role}${days ? `, expiring in ${days} days` : ""}. It is shown only this once:`);
console.log(t.token);
