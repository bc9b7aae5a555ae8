// Issue 8 item 3: every zone and admin operation is in the audit log with actor, operation,
// target and request hash — committed before the operation runs. Each operation answers with its
// receipt (audit-index, audit-request-hash); the entry is found by /audit/lookup, its request hash
// recomputes from the operation's input, and one is proven included by the audit:verify checks.

import { beforeAll, describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { kemKeygen } from "../../src/ca/backup.ts";
import { operationRequestHash } from "../../src/audit/operation.ts";
import { toBase64 } from "../../src/encoding/bytes.ts";
import { ProblemType, problem } from "../../src/problem.ts";
import { auditFirst } from "../../workers/audit-trail.ts";
import { AcmeClient, BASE } from "../support/acme-client.ts";
import { fetchAudit, provenEntry } from "../support/audit-helpers.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

let admin: string;
beforeAll(async () => {
  admin = await mintToken("admin");
});

const json = (method: string, body: unknown) => ({ method, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

/** The response's receipt, checked against the log's own lookup. */
async function receipt(r: Response): Promise<{ index: number; hash: string }> {
  const hash = r.headers.get("audit-request-hash");
  const index = Number(r.headers.get("audit-index"));
  expect(hash, `${r.url} ${r.status}`).toMatch(/^[0-9a-f]{64}$/);
  const lookup = await call(`/audit/lookup/${hash}`);
  expect(lookup.status).toBe(200);
  expect(((await lookup.json()) as { index: number }).index).toBe(index);
  return { index, hash: hash! };
}

describe("audit trail of admin operations", () => {
  it("token create and revoke: proven included, the hash recomputes from the input", async () => {
    const created = await call("/api/v1/tokens", { token: admin, ...json("POST", { role: "reader", label: "audited" }) });
    expect(created.status).toBe(201);
    const t = (await created.json()) as { id: string; token: string };
    const r = await receipt(created);
    const entry = await provenEntry(r.hash);
    expect(entry).toMatchObject({ operation: "token.create", target: `token:${t.id}`, actor: expect.stringMatching(/^token:[0-9a-f]{16}$/) });
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(t.token))), (b) => b.toString(16).padStart(2, "0")).join("");
    const input = { role: "reader", label: "audited", expires_at: null, digest };
    expect(await operationRequestHash({ actor: entry.actor, operation: entry.operation, target: entry.target, input }, entry.time)).toBe(r.hash);
    // The secret itself appears nowhere in the log.
    const bundle = await fetchAudit(`tile/entries/000.p/${Math.min(256, r.index + 1)}`);
    if (bundle) expect(new TextDecoder().decode(bundle)).not.toContain(t.token);

    const revoked = await call(`/api/v1/tokens/${t.id}`, { method: "DELETE", token: admin });
    expect(revoked.status).toBe(204);
    await receipt(revoked);
    // Refused operations that never passed authorization leave no entry (and no receipt).
    const denied = await call(`/api/v1/tokens/${t.id}`, { method: "DELETE", token: await mintToken("reader") });
    expect(denied.status).toBe(403);
    expect(denied.headers.get("audit-request-hash")).toBeNull();
  });

  it("zone create, rrset put/delete, zonefile put, DNSSEC rollover, dns01 present/cleanup, zone delete", async () => {
    const zone = "audit-trail.test";
    const ops: [string, Response][] = [];
    const create = await call("/api/v1/zones", { token: admin, ...json("POST", { name: zone }) });
    expect(create.status).toBe(201);
    ops.push(["zone.create", create]);
    const put = await call(`/api/v1/zones/${zone}/rrsets/www/A`, { token: admin, ...json("PUT", { ttl: 300, records: ["192.0.2.7"] }) });
    expect(put.status).toBe(200);
    ops.push(["zone.rrset.put", put]);
    const del = await call(`/api/v1/zones/${zone}/rrsets/www/A`, { method: "DELETE", token: admin });
    expect(del.status).toBe(200);
    ops.push(["zone.rrset.delete", del]);
    const text = await (await call(`/api/v1/zones/${zone}/zonefile`, { token: admin })).text();
    const zonefile = await call(`/api/v1/zones/${zone}/zonefile`, { method: "PUT", token: admin, body: text, headers: { "content-type": "text/dns" } });
    expect(zonefile.status).toBe(200);
    ops.push(["zone.zonefile.put", zonefile]);
    const roll = await call(`/api/v1/zones/${zone}/dnssec/rollover`, { token: admin, ...json("POST", {}) });
    expect(roll.status).toBeLessThan(500);
    ops.push(["zone.dnssec.rollover", roll]);
    const zoneToken = await mintToken(`zone:${zone}`);
    const challenge = { fqdn: `_acme-challenge.${zone}.`, value: "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0" };
    const present = await call("/api/v1/dns01/present", { token: zoneToken, ...json("POST", challenge) });
    expect(present.status).toBe(200);
    ops.push(["dns01.present", present]);
    const cleanup = await call("/api/v1/dns01/cleanup", { token: zoneToken, ...json("POST", challenge) });
    expect(cleanup.status).toBe(200);
    ops.push(["dns01.cleanup", cleanup]);
    const gone = await call(`/api/v1/zones/${zone}`, { method: "DELETE", token: admin });
    expect(gone.status).toBe(204);
    ops.push(["zone.delete", gone]);

    const indices = [];
    for (const [operation, r] of ops) {
      const { index, hash } = await receipt(r);
      indices.push(index);
      if (operation === "dns01.present") {
        const entry = await provenEntry(hash);
        expect(entry).toMatchObject({ operation, target: `rrset:${challenge.fqdn}/TXT`, actor: expect.stringMatching(/^token:/) });
        expect(await operationRequestHash({ ...entry, input: { zone: `${zone}.`, ...challenge } }, entry.time)).toBe(hash);
      }
    }
    // Sequential operations, sequential entries.
    expect([...indices].sort((a, b) => a - b)).toEqual(indices);
    const entry = await provenEntry(ops[0]![1].headers.get("audit-request-hash")!);
    expect(entry).toMatchObject({ operation: "zone.create", target: `zone:${zone}.` });
  });

  it("validator suspend, resume, release", async () => {
    for (const action of ["suspend", "resume", "release"]) {
      const r = await call(`/consensus/validators/validator-3/${action}`, { token: admin, ...json("POST", { reason: "audit test" }) });
      expect(r.status).toBe(200);
      const { hash } = await receipt(r);
      expect(await provenEntry(hash)).toMatchObject({ operation: `validator.${action}`, target: "validator:validator-3" });
    }
  });

  it("CA backup export", async () => {
    const r = await call("/api/v1/admin/ca-backup", { token: admin, ...json("POST", { recipient: toBase64(kemKeygen().publicKey) }) });
    expect(r.status).toBe(200);
    const { hash } = await receipt(r);
    expect(await provenEntry(hash)).toMatchObject({ operation: "ca.backup.export", target: "ca:keys" });
  });

  it("ACME account creation, key change and deactivation", async () => {
    const client = await AcmeClient.create();
    const made = await client.register();
    expect(made.status).toBe(201);
    const tp = await client.thumbprint();
    expect(await provenEntry((await receipt(made)).hash)).toMatchObject({ operation: "acme.account.create", actor: `acme-key:${tp}` });
    const id = client.kid!.split("/").pop()!;

    const url = `${BASE}/acme/key-change`;
    const next = await AcmeClient.create("EdDSA");
    const inner = JSON.parse(await next.sign(url, { account: client.kid, oldKey: client.jwk }, { jwk: true, noNonce: true })) as unknown;
    const rolled = await client.post(url, inner);
    expect(rolled.status).toBe(200);
    expect(await provenEntry((await receipt(rolled)).hash)).toMatchObject({ operation: "acme.account.key-change", actor: `acme:${id}`, target: `acme:${id}` });

    next.kid = client.kid;
    const off = await next.post(client.kid!, { status: "deactivated" });
    expect(off.status).toBe(200);
    expect(await provenEntry((await receipt(off)).hash)).toMatchObject({ operation: "acme.account.deactivate", target: `acme:${id}` });
  });
});

describe("when the audit log cannot record", () => {
  const op = { actor: "token:0000000000000000", operation: "zone.delete", target: "zone:x.test.", input: { name: "x.test." } };
  // An AUDIT_LOG namespace whose object answers the way a failing or stuck log would.
  const failingLog = (append: () => Promise<unknown>) =>
    ({ AUDIT_LOG: { idFromName: () => ({}), get: () => ({ append }) } }) as unknown as Pick<typeof env, "AUDIT_LOG">;

  it("refuses with 503 when the log reports a failure, or does not commit in time", async () => {
    const failed = await auditFirst(failingLog(async () => problem(ProblemType.serverInternal, 503, "the audit log is starting")), op);
    expect(failed).toMatchObject({ status: 503, detail: expect.stringMatching(/^the operation was not performed: .*starting/) });
    const thrown = await auditFirst(failingLog(() => Promise.reject(new Error("network lost"))), op);
    expect(thrown).toMatchObject({ status: 503, detail: expect.stringContaining("network lost") });
    const t0 = Date.now();
    const stuck = await auditFirst(failingLog(() => new Promise(() => {})), op, 200);
    expect(stuck).toMatchObject({ status: 503, detail: expect.stringContaining("no commit within 200 ms") });
    expect(Date.now() - t0).toBeLessThan(2000);
    // The real log commits.
    expect(await auditFirst(env, op)).toMatchObject({ index: expect.any(Number), requestHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
