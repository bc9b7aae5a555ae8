// Runs after `npm ci`/`npm install` (the postinstall script): bundles @noble/post-quantum's
// FALCON-1024 and X-Wing (ML-KEM-768 + X25519) modules, each with its own copy of noble's code,
// into build/ (generated, not committed). src/crypto/falcon.ts and src/ca/backup.ts import these
// copies; ML-DSA keeps the package's own modules.
//
// Why: ML-DSA's NTT, ML-KEM's NTT and Falcon's complex FFT all run through one function of
// @noble/curves (FFTCore), whose butterfly calls the field's add/sub/mul. With one copy, V8 sees
// integer fields and Falcon's complex floating-point field at the same call sites, gives up on
// inlining them, and every ML-DSA signature in the Worker's isolate became about twice as slow
// once Falcon had run there (validators 1 and 3 and the log checkpoints sign with Falcon). Separate
// copies keep each call site monomorphic. Measured in bench:pqc and bench:issue (README).

import { buildSync } from "esbuild";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "build");

const BUNDLES = [
  { name: "noble-falcon", module: "@noble/post-quantum/falcon.js", exports: "falcon1024" },
  { name: "noble-xwing", module: "@noble/post-quantum/hybrid.js", exports: "ml_kem768_x25519" },
] as const;

mkdirSync(OUT, { recursive: true });
for (const b of BUNDLES) {
  buildSync({
    stdin: { contents: `export { ${b.exports} } from "${b.module}";`, resolveDir: ROOT, loader: "js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    legalComments: "inline",
    outfile: join(OUT, `${b.name}.js`),
    logLevel: "error",
  });
  // Types come from the package itself: the bundle is the same code.
  writeFileSync(join(OUT, `${b.name}.d.ts`), `export { ${b.exports} } from "${b.module}";\n`);
}
