// npm run acme:eab-create [-- --remote | --persist-to DIR]
// Creates an ACME External Account Binding key (RFC 8555 §7.3.4) and prints the key identifier
// and the HMAC key (base64url) for the client: lego --eab --kid KID --hmac KEY, certbot
// --eab-kid KID --eab-hmac-key KEY. Each key binds one account.

import { parseArgs } from "node:util";
import { newEabCredentials } from "../src/acme/eab.ts";
import { INSERT_EAB_KEY_SQL } from "../src/acme/store.ts";
import { d1Query, inlineParams } from "./lib/wrangler.ts";

const { values } = parseArgs({
  options: {
    remote: { type: "boolean", default: false },
    "persist-to": { type: "string" },
    json: { type: "boolean", default: false },
  },
});

const { kid, hmacKey } = newEabCredentials();
d1Query(inlineParams(INSERT_EAB_KEY_SQL, [kid, hmacKey, Math.floor(Date.now() / 1000)]), { remote: values.remote, persistTo: values["persist-to"] });
if (values.json) console.log(JSON.stringify({ kid, hmac_key: hmacKey }));
else console.log(`kid=${kid}\nhmac_key=${hmacKey}`);
