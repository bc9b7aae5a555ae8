// npm run ca:restore -- --identity <file.key> --in <backup> [--url URL] [--token TOKEN | --persist-to DIR]
// Opens the backup here with the operator's identity, then seals it again to a one-time X-Wing key
// of the target CaSigner (GET /api/v1/admin/ca-restore-key), which checks every key against its
// certificate and seals them under its own CA_KEK. Only a CA that has not issued yet accepts it.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fromBase64 } from "../src/encoding/bytes.ts";
import { isOpenFailure, openSealed, parseIdentity, sealTo } from "../src/ca/backup.ts";
import { BACKUP_PURPOSE } from "../src/ca/pq-backup.ts";
import { ADMIN_OPTIONS, adminCall, adminTarget } from "./lib/admin-api.ts";

const { values } = parseArgs({ options: { identity: { type: "string" }, in: { type: "string" }, ...ADMIN_OPTIONS } });
if (!values.identity || !values.in) {
  console.error("usage: npm run ca:restore -- --identity <file.key> --in <backup> [--url URL] [--token TOKEN | --persist-to DIR]");
  process.exit(2);
}
const identity = parseIdentity(readFileSync(values.identity, "utf8"));
if (!identity) {
  console.error(`${values.identity} is not a backup identity file (npm run ca:backup-keygen makes one)`);
  process.exit(2);
}
let envelope: unknown;
try {
  envelope = JSON.parse(readFileSync(values.in, "utf8"));
} catch {
  console.error(`${values.in} is not a backup file`);
  process.exit(2);
}
const opened = await openSealed(identity, BACKUP_PURPOSE, envelope);
if (isOpenFailure(opened)) {
  console.error(`cannot open ${values.in}: ${opened.detail}`);
  process.exit(1);
}
const target = await adminTarget(values, "ca:restore");
const restoreKey = await adminCall<{ public_key: string }>(target, "GET", "/ca-restore-key");
const resealed = await sealTo(fromBase64(restoreKey.public_key)!, BACKUP_PURPOSE, opened);
opened.fill(0);
const restored = await adminCall<{ root: { id: string }; pq: { root: { id: string } } }>(target, "POST", "/ca-restore", resealed);
console.error(`restored: classical root ${restored.root.id}, ML-DSA root ${restored.pq.root.id}`);
