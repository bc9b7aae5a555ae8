// npm run audit:verify -- --url http://localhost:8787 (--request-hash <hex> | --index <n>) [--key <vkey>]
// Fetches the audit log's signed checkpoint, entry bundles and tiles over HTTP, checks the
// checkpoint signature with the published key (or the one given), recomputes the tree and proves
// the inclusion of one operation. Exits 1 when anything does not verify.

import { parseArgs } from "node:util";
import { verifyAuditLog } from "../src/audit/verify.ts";

const { values } = parseArgs({
  options: { url: { type: "string", default: "http://localhost:8787" }, "request-hash": { type: "string" }, index: { type: "string" }, key: { type: "string" } },
});
const base = values.url!.replace(/\/$/, "");
if (!values["request-hash"] === !values.index) {
  console.error("give exactly one of --request-hash <hex> or --index <n>");
  process.exit(2);
}
process.on("uncaughtException", (e) => {
  console.error(`audit:verify FAILED: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
let key = values.key;
if (!key) {
  const res = await fetch(`${base}/audit/key`);
  if (!res.ok) {
    console.error(`GET ${base}/audit/key: HTTP ${res.status}`);
    process.exit(1);
  }
  key = ((await res.json()) as { verifier_key: string }).verifier_key;
}
const result = await verifyAuditLog(
  async (path) => {
    const res = await fetch(`${base}/audit/${path}`);
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET /audit/${path}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  },
  key,
  values.index !== undefined ? { index: Number(values.index) } : { requestHash: values["request-hash"]!.toLowerCase() },
);
if (!result.ok) {
  console.error(`audit:verify FAILED: ${result.error}`);
  process.exit(1);
}
const v = result.value;
console.log(`audit:verify OK: checkpoint ${v.origin} size ${v.size} root ${v.root} (signature verified with ${key})`);
console.log(`entry ${v.index}: ${JSON.stringify(v.entry)}`);
console.log(`inclusion proof (${v.proof.length} hashes) verifies against the signed root`);
