import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// A CA that exists only for this test run, configured as one of the CT log's extra roots
// (CT_EXTRA_ROOTS is a production setting): tests sign certificates under it that our own CA
// never issued and so never logged, to exercise the log on entries it has not seen.
async function testExtraRoot(): Promise<{ pem: string; key: string }> {
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await crypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=TrustChain test-only extra CT root",
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 30 * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  const pkcs8 = new Uint8Array((await crypto.subtle.exportKey("pkcs8", keys.privateKey)) as ArrayBuffer);
  return { pem: cert.toString("pem"), key: Buffer.from(pkcs8).toString("base64") };
}

// Two projects: everything that can run inside workerd does (unit tests of src/ and the Worker
// with its real D1, R2 and Durable Object bindings); end-to-end tests run in Node because they
// start the server and drive real clients (openssl, ...) as subprocesses.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  const extraRoot = await testExtraRoot();
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // A fresh random KEK per run: tests never see a real deployment's secret.
                  CA_KEK: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
                  PUBLIC_URL: "http://trustchain.test",
                  CT_EXTRA_ROOTS: extraRoot.pem,
                  TEST_EXTRA_ROOT_KEY: extraRoot.key,
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
            // Each test file starts a fresh deployment, whose first issuance makes four FALCON-1024
            // keys (CT log, audit log, validators 1 and 3; about half a second each in pure JS).
            testTimeout: 15_000,
            hookTimeout: 15_000,
            exclude: ["test/worker/ops-limits/**", "test/worker/rotation-due/**"],
            setupFiles: ["test/worker/apply-migrations.ts"],
          },
        },
        {
          // Small rate limits, and no CA_KEK so that /health has something to report failing.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  CA_KEK: "",
                  PUBLIC_URL: "http://trustchain.test",
                  RATE_LIMIT_ISSUE_PER_TOKEN: "3/3",
                  RATE_LIMIT_API_PER_IP: "20/2",
                  RATE_LIMIT_DOH_PER_IP: "5/2",
                },
              },
            }),
          ],
          test: {
            name: "workers-limits",
            include: ["test/worker/ops-limits/**/*.test.ts"],
            setupFiles: ["test/worker/apply-migrations.ts"],
          },
        },
        {
          // Every issuing CA is due for rotation as soon as it exists, for the Worker's scheduler
          // and for the validators alike: the scheduled rotation's own test.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  CA_KEK: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
                  PUBLIC_URL: "http://trustchain.test",
                  CA_ROTATE_AFTER_DAYS: "0",
                },
              },
            }),
          ],
          test: {
            name: "workers-rotation-due",
            include: ["test/worker/rotation-due/**/*.test.ts"],
            testTimeout: 15_000,
            hookTimeout: 15_000,
            setupFiles: ["test/worker/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            setupFiles: ["test/support/e2e-fetch.ts"],
            testTimeout: 180_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
