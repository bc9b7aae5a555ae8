// The bindings the tests see: the Worker's own, plus the migrations the config injects.
type WorkerEnv = import("../../workers/env.ts").Env;
declare namespace Cloudflare {
  interface Env extends WorkerEnv {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** PKCS#8 (base64) of the test-only CA in CT_EXTRA_ROOTS (vitest.config.ts). */
    TEST_EXTRA_ROOT_KEY: string;
  }
}
