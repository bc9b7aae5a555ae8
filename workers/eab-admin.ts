// Operator route for ACME External Account Binding keys (admin tokens only), used by
// `npm run acme:eab-create`. The HMAC secret is in this response only; D1 keeps it sealed under
// the KEK until an account binds it, then erases it (src/acme/eab.ts).

import { Hono } from "hono";
import { newEabCredentials, sealEabKey } from "../src/acme/eab.ts";
import { insertEabKey } from "../src/acme/store.ts";
import { importKek, kekUnavailable } from "../src/ca/key-vault.ts";
import { audited } from "./audit-trail.ts";
import { type AppEnv, problemResponse, requirePermission } from "./http.ts";

export const eabAdmin = new Hono<AppEnv>();

eabAdmin.post("/acme-eab", requirePermission("admin"), async (c) => {
  const kek = await importKek(c.env.CA_KEK);
  if (!(kek instanceof CryptoKey)) return problemResponse(kekUnavailable(kek, "ACME external account keys"));
  const { kid, hmacKey } = newEabCredentials();
  return audited(c, { operation: "acme.eab.create", target: `acme-eab:${kid}`, input: { kid } }, async () => {
    const now = Math.floor(Date.now() / 1000);
    await insertEabKey(c.env.DB, kid, await sealEabKey(kek, kid, hmacKey), now);
    return c.json({ kid, hmac_key: hmacKey, created_at: new Date(now * 1000).toISOString() }, 201);
  });
});
