import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects: everything that can run inside workerd does (unit tests of src/ and the Worker
// with its real D1, R2 and Durable Object bindings); end-to-end tests run in Node because they
// start the server and drive real clients (openssl, ...) as subprocesses.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
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
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/unit/**/*.test.ts", "test/worker/**/*.test.ts"],
            setupFiles: ["test/worker/apply-migrations.ts"],
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 180_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
