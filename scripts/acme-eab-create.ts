// npm run acme:eab-create -- [--url URL] [--token TOKEN | --persist-to DIR] [--json]
// Creates an ACME External Account Binding key (RFC 8555 §7.3.4) through the admin API
// (POST /api/v1/admin/acme-eab, audited) and prints the key identifier and the HMAC key
// (base64url) for the client: lego --eab --kid KID --hmac KEY, certbot --eab-kid KID
// --eab-hmac-key KEY. Each key binds one account. The deployment keeps the HMAC key sealed under
// its CA_KEK until then, so this is the only place it is shown.

import { parseArgs } from "node:util";
import { ADMIN_OPTIONS, adminCall, adminTarget } from "./lib/admin-api.ts";

const { values } = parseArgs({ options: { ...ADMIN_OPTIONS, json: { type: "boolean", default: false } } });
const target = await adminTarget(values, "acme:eab-create");
const { kid, hmac_key } = await adminCall<{ kid: string; hmac_key: string }>(target, "POST", "/acme-eab");
if (values.json) console.log(JSON.stringify({ kid, hmac_key }));
else console.log(`kid=${kid}\nhmac_key=${hmac_key}`);
