// npm run ca:backup-keygen -- [--out <prefix>]
// Makes the operator's backup key pair: X-Wing (X25519 + ML-KEM-768). <prefix>.pub is the
// recipient file given to `ca:backup`; <prefix>.key (mode 0600) is the identity that `ca:restore`
// needs. Keep the identity offline.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type IdentityFile, type RecipientFile, XWING, kemKeygen, recipientId } from "../src/ca/backup.ts";
import { toBase64 } from "../src/encoding/bytes.ts";

const { values } = parseArgs({ options: { out: { type: "string", default: "trustchain-backup" } } });
const keys = kemKeygen();
const recipient: RecipientFile = { type: "trustchain-backup-recipient", kem: XWING, public_key: toBase64(keys.publicKey) };
const identity: IdentityFile = { type: "trustchain-backup-identity", kem: XWING, public_key: toBase64(keys.publicKey), secret_key: toBase64(keys.secretKey) };
writeFileSync(`${values.out}.pub`, `${JSON.stringify(recipient, null, 2)}\n`);
writeFileSync(`${values.out}.key`, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
console.error(`recipient ${await recipientId(keys.publicKey)}: wrote ${values.out}.pub (give to ca:backup) and ${values.out}.key (secret; needed by ca:restore)`);
