// npm start: serve the whole system locally under `wrangler dev`, with state in .wrangler/state.
// First start: creates .dev.vars (the CA key-encryption key), applies the D1 migrations, and the
// CaSigner bootstraps the root and issuing CAs on its first request.

import { parseArgs } from "node:util";
import { applyMigrations, d1Query, ensureDevVars, startDevServer } from "./lib/wrangler.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: process.env.PORT ?? "8787" } } });
const port = Number(values.port);

const vars = ensureDevVars();
if (vars.created) console.log(`Created ${vars.path} with a new CA key-encryption key (keep it: it opens the local CA's keys).`);
applyMigrations();

const server = await startDevServer({ port, inheritOutput: true, vars: { PUBLIC_URL: `http://localhost:${port}` } });
// First requests bootstrap what the first start must create: the CA's keys and certificates, the
// CT log's keys, the demo zone (the first DoH query creates it), the audit log's keys and the
// validators' keys (the status page asks each validator for its identity).
const ca = (await (await fetch(`${server.url}/api/v1/ca`)).json()) as { root: { id: string } };
const log = (await (await fetch(`${server.url}/trustchain-2026/log.v3.json`)).json()) as { log_id: string };
const demo = await fetch(`${server.url}/dns-query?name=trustchain.test&type=SOA`, { headers: { accept: "application/dns-json" } });
const demoStatus = ((await demo.json()) as { Status: number }).Status;
await fetch(`${server.url}/audit/checkpoint`);
const consensus = (await (await fetch(`${server.url}/consensus/validation_status`)).json()) as { status: string; policy: { validators: number; quorum: number } };
const tokens = d1Query<{ n: number }>("SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL")[0]?.n ?? 0;

console.log(`
TrustChain is running at http://localhost:${port}
  CA certificates   GET  /api/v1/ca          (root: /ca/${ca.root.id}.der)
  Issue from a CSR  POST /api/v1/certificates (Authorization: Bearer <token>)
  OCSP / CRLs       /ocsp, /crl/<issuer-id>.crl
  CT log            /trustchain-2026/checkpoint, /trustchain-2026/log.v3.json (log id ${log.log_id})
  DoH               /dns-query  (demo zone trustchain.test: ${demoStatus === 0 ? "served" : `status ${demoStatus}`})
  ACME              /acme/directory      (certbot/lego --server http://localhost:${port}/acme/directory)
  Consensus         /consensus/validation_status (${consensus.policy.validators} validators, quorum ${consensus.policy.quorum}: ${consensus.status})
  Audit log         /audit/checkpoint, /audit/tile/...  (npm run audit:verify)
  Dashboard         /    Metrics /metrics    OpenAPI /api/v1/openapi.json
  Health            /health
${tokens === 0 ? "\nNo API token exists yet. Create the first one in another terminal:\n  npm run token:create -- --role admin\n" : ""}
Press Ctrl-C to stop.`);

const shutdown = () => void server.stop().then(() => process.exit(0));
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
server.process.on("exit", (code) => process.exit(code ?? 0));
