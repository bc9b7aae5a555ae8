// npm run ca:rotate -- [--hierarchy classical|pq] [--issuing-id <hex>] [--url URL] [--token TOKEN | --persist-to DIR]
// Rotates an issuing CA now, through consensus like the scheduled rotation: a new intermediate
// under the same root takes over issuance; the retired one keeps answering OCSP and CRLs for what
// it signed. Prints both certificates as JSON (the API's answer) on stdout.

import { parseArgs } from "node:util";
import { ADMIN_OPTIONS, adminCall, adminTarget } from "./lib/admin-api.ts";

interface IssuingCa {
  id: string;
  pem: string;
  not_before: string;
  not_after: string;
}

const { values } = parseArgs({ options: { hierarchy: { type: "string", default: "classical" }, "issuing-id": { type: "string" }, ...ADMIN_OPTIONS } });
if (values.hierarchy !== "classical" && values.hierarchy !== "pq") {
  console.error("usage: npm run ca:rotate -- [--hierarchy classical|pq] [--issuing-id <hex, from GET /api/v1/ca>] [--url URL] [--token TOKEN | --persist-to DIR]");
  process.exit(2);
}
const target = await adminTarget(values, "ca:rotate");
const rotated = await adminCall<{ hierarchy: string; retired: IssuingCa; issuing: IssuingCa }>(target, "POST", "/ca-rotate", {
  hierarchy: values.hierarchy,
  ...(values["issuing-id"] ? { issuing_id: values["issuing-id"] } : {}),
});
console.error(`${rotated.hierarchy} issuing CA ${rotated.retired.id} retired; ${rotated.issuing.id} (valid until ${rotated.issuing.not_after}) issues from now on.`);
process.stdout.write(`${JSON.stringify(rotated, null, 2)}\n`);
