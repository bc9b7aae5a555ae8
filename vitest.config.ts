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

// Everything that can run inside workerd does (unit tests of src/ and the Worker with its real D1,
// R2 and Durable Object bindings; three projects, for three sets of settings); end-to-end tests
// run in Node because they start the server and drive real clients (openssl, ...) as subprocesses.

// A project of tests inside workerd (a fresh deployment per test file): the bindings every such
// project needs (its D1 migrations, a KEK, the public URL), then its own `bindings`.
function workersProject(migrations: Awaited<ReturnType<typeof readD1Migrations>>, name: string, include: string[], bindings: Record<string, string>, test: Record<string, unknown> = {}) {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            // A fresh random KEK per run: tests never see a real deployment's secret.
            CA_KEK: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))),
            PUBLIC_URL: "http://trustchain.test",
            TEST_MIGRATIONS: migrations,
            ...bindings,
          },
        },
      }),
    ],
    test: { name, include, setupFiles: ["test/worker/apply-migrations.ts"], ...test },
  };
}

// Each test file starts a fresh deployment, whose first issuance makes four FALCON-1024 keys (CT
// log, audit log, validators 1 and 3; about half a second each in pure JS).
const ISSUING_TIMEOUTS = { testTimeout: 15_000, hookTimeout: 15_000 };

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  const extraRoot = await testExtraRoot();
  return {
    test: {
      projects: [
        workersProject(
          migrations,
          "workers",
          ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
          { CT_EXTRA_ROOTS: extraRoot.pem, TEST_EXTRA_ROOT_KEY: extraRoot.key },
          { ...ISSUING_TIMEOUTS, exclude: ["test/worker/ops-limits/**", "test/worker/rotation-due/**"] },
        ),
        // Small rate limits, and no CA_KEK so that /health has something to report failing.
        workersProject(migrations, "workers-limits", ["test/worker/ops-limits/**/*.test.ts"], {
          CA_KEK: "",
          RATE_LIMIT_ISSUE_PER_TOKEN: "3/3",
          RATE_LIMIT_API_PER_IP: "20/2",
          RATE_LIMIT_DOH_PER_IP: "5/2",
        }),
        // Every issuing CA is due for rotation as soon as it exists, for the Worker's scheduler and
        // for the validators alike: the scheduled rotation's own test.
        workersProject(migrations, "workers-rotation-due", ["test/worker/rotation-due/**/*.test.ts"], { CA_ROTATE_AFTER_DAYS: "0" }, ISSUING_TIMEOUTS),
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
