// npm run ca:backup -- --recipient <file.pub> [--out <file>] [--url URL] [--token TOKEN | --persist-to DIR]
// Exports every CA key (classical and ML-DSA hierarchies) sealed to the recipient's X-Wing key.
// The CaSigner seals them itself: the keys never leave the deployment unencrypted.

import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type SealedEnvelope, parseRecipient } from "../src/ca/backup.ts";
import { toBase64 } from "../src/encoding/bytes.ts";
import { ADMIN_OPTIONS, adminCall, adminTarget } from "./lib/admin-api.ts";

const { values } = parseArgs({ options: { recipient: { type: "string" }, out: { type: "string" }, ...ADMIN_OPTIONS } });
if (!values.recipient) {
  console.error("usage: npm run ca:backup -- --recipient <file.pub> [--out <file>] [--url URL] [--token TOKEN | --persist-to DIR]");
  process.exit(2);
}
const recipient = parseRecipient(readFileSync(values.recipient, "utf8"));
if (!recipient) {
  console.error(`${values.recipient} is not a backup recipient file (npm run ca:backup-keygen makes one)`);
  process.exit(2);
}
const target = await adminTarget(values, "ca:backup");
const envelope = await adminCall<SealedEnvelope>(target, "POST", "/ca-backup", { recipient: toBase64(recipient) });
const text = `${JSON.stringify(envelope, null, 2)}\n`;
if (values.out) {
  writeFileSync(values.out, text, { mode: 0o600 });
  console.error(`wrote ${values.out}: CA keys sealed to recipient ${envelope.recipient}`);
} else {
  process.stdout.write(text);
}
