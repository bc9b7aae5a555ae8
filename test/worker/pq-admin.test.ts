import { describe, expect, it } from "vitest";
import { isOpenFailure, kemKeygen, openSealed } from "../../src/ca/backup.ts";
import { toBase64 } from "../../src/encoding/bytes.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

const post = (path: string, token: string | undefined, body: unknown) =>
  call(`/api/v1/admin${path}`, { method: "POST", token, body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json" } });

describe("CA backup admin routes", () => {
  it("need an admin token", async () => {
    expect((await post("/ca-backup", undefined, {})).status).toBe(401);
    expect((await post("/ca-backup", await mintToken("issuer"), {})).status).toBe(403);
    expect((await call("/api/v1/admin/ca-restore-key", { token: await mintToken("reader") })).status).toBe(403);
  });

  it("answer bad input with problem documents", async () => {
    const admin = await mintToken("admin");
    for (const body of ["not json", [], { recipient: 1 }, { recipient: "AAAA" }]) {
      const r = await post("/ca-backup", admin, body);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
    }
    const noKey = await post("/ca-restore", admin, { format: "trustchain-sealed/v1" });
    expect(noKey.status).toBe(409);
    await call("/api/v1/admin/ca-restore-key", { token: admin });
    const garbage = await post("/ca-restore", admin, { format: "trustchain-sealed/v1", kem: "X-Wing (ML-KEM-768 + X25519)", purpose: "ca-keys" });
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { detail: string }).detail).toContain("does not open");
  });

  it("a backup opens with the recipient's key and with no other", async () => {
    const admin = await mintToken("admin");
    const keys = kemKeygen();
    const res = await post("/ca-backup", admin, { recipient: toBase64(keys.publicKey) });
    expect(res.status).toBe(200);
    const envelope = await res.json();
    const opened = await openSealed(keys, "ca-keys", envelope);
    expect(isOpenFailure(opened)).toBe(false);
    const backup = JSON.parse(new TextDecoder().decode(opened as Uint8Array)) as { classical: { root: { pkcs8: string } }; pq: { issuing: { level: string } } };
    expect(backup.classical.root.pkcs8.length).toBeGreaterThan(100);
    expect(backup.pq.issuing.level).toBe("ML-DSA-65");
    expect(isOpenFailure(await openSealed(kemKeygen(), "ca-keys", envelope))).toBe(true);
  });
});
