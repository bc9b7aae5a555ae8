// /metrics through a real Prometheus text-format parser: the counters move after an issuance and
// a DoH query; /health names each dependency.

import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { Registry, counter, histogram } from "../../src/metrics/registry.ts";
import { applyDelta, exposition, type MetricsState } from "../../src/metrics/aggregate.ts";
import { toHex } from "../../src/encoding/bytes.ts";
import { forgeVote, json, resume, stealValidatorKey, suspend } from "../support/consensus-helpers.ts";
import { call, makeCsr, mintToken } from "../support/worker-helpers.ts";
import { scrape, sum } from "../support/metrics-helpers.ts";

describe("/metrics", () => {
  it("counts an issuance and a DoH query, with latency histograms and the CT tree size", async () => {
    const before = await scrape();
    const token = await mintToken("issuer");
    const csr = await makeCsr("p256", ["metrics.example.com"]);
    const issued = await call("/api/v1/certificates", { method: "POST", body: csr.der, token, headers: { "content-type": "application/pkcs10" } });
    expect(issued.status).toBe(201);
    const q = await call("/dns-query?name=trustchain.test&type=SOA", { headers: { accept: "application/dns-json" } });
    expect(q.status).toBe(200);
    const nx = await call("/dns-query?name=nope.trustchain.test&type=A", { headers: { accept: "application/dns-json" } });
    expect(nx.status).toBe(200);

    const after = await scrape();
    expect(sum(after, "trustchain_issuances_total", { outcome: "issued" }) - sum(before, "trustchain_issuances_total", { outcome: "issued" })).toBe(1);
    expect(sum(after, "trustchain_issuance_duration_seconds") - sum(before, "trustchain_issuance_duration_seconds")).toBe(1);
    expect(sum(after, "trustchain_doh_queries_total", { rcode: "NOERROR", format: "json" }) - sum(before, "trustchain_doh_queries_total", { rcode: "NOERROR", format: "json" })).toBe(1);
    expect(sum(after, "trustchain_doh_queries_total", { rcode: "NXDOMAIN" }) - sum(before, "trustchain_doh_queries_total", { rcode: "NXDOMAIN" })).toBe(1);
    expect(sum(after, "trustchain_doh_query_duration_seconds") - sum(before, "trustchain_doh_query_duration_seconds")).toBe(2);
    // The precertificate went through the log's sequencer and got an SCT.
    expect(sum(after, "trustchain_ct_submissions_total", { kind: "precert", outcome: "ok" })).toBeGreaterThan(sum(before, "trustchain_ct_submissions_total", { kind: "precert", outcome: "ok" }));
    expect(sum(after, "trustchain_ct_sequencing_duration_seconds")).toBeGreaterThan(0);
    expect(sum(after, "trustchain_ca_up")).toBe(1);
    const issuance = after.find((f) => f.name === "trustchain_issuance_duration_seconds")!;
    expect(issuance.type).toBe("HISTOGRAM");
    expect(Object.keys(issuance.metrics[0]!.buckets!)).toContain("+Inf");
  });

  it("the CT tree size is the published checkpoint's", async () => {
    // The CT log publishes its checkpoint just after sequencing; wait for it to show up.
    let size = 0;
    for (let i = 0; i < 50 && size === 0; i++) {
      size = sum(await scrape(), "trustchain_ct_tree_size");
      if (size === 0) await new Promise((r) => setTimeout(r, 100));
    }
    const sth = (await (await call("/ct/v1/get-sth")).json()) as { tree_size: number };
    expect(size).toBe(sth.tree_size);
  });

  it("reports the consensus layer: validator gauges, votes by result, quorum latency, equivocations and quarantines", async () => {
    const before = await scrape();
    const token = await mintToken("issuer");
    const issued = await call("/api/v1/certificates", { method: "POST", body: (await makeCsr("p256", ["consensus-metrics.example"])).der, token, headers: { "content-type": "application/pkcs10" } });
    expect(issued.status).toBe(201);
    // Votes are counted once every validator answered, which may follow the response.
    let after = await scrape();
    for (let i = 0; i < 40 && sum(after, "trustchain_consensus_votes_total", { result: "approve" }) - sum(before, "trustchain_consensus_votes_total", { result: "approve" }) < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await scrape();
    }
    expect(sum(after, "trustchain_consensus_votes_total", { result: "approve" }) - sum(before, "trustchain_consensus_votes_total", { result: "approve" })).toBe(4);
    // (The parser drops a histogram's labels: the sum is over all, the labels are read from the text.)
    expect(sum(after, "trustchain_consensus_quorum_duration_seconds") - sum(before, "trustchain_consensus_quorum_duration_seconds")).toBe(1);
    expect(await (await call("/metrics")).text()).toMatch(/^trustchain_consensus_quorum_duration_seconds_count\{operation="issue",outcome="approved"\} [1-9]/m);
    expect(after.find((f) => f.name === "trustchain_consensus_quorum_duration_seconds")!.type).toBe("HISTOGRAM");
    for (const name of ["trustchain_validator_healthy", "trustchain_validator_suspended", "trustchain_validator_quarantined"]) {
      expect(after.find((f) => f.name === name)!.metrics.map((m) => m.labels!.validator).sort(), name).toEqual(["validator-0", "validator-1", "validator-2", "validator-3"]);
    }
    expect(sum(after, "trustchain_validator_healthy")).toBe(4);
    expect(sum(after, "trustchain_validator_quarantined")).toBe(0);

    // Maintenance shows as suspended (still healthy: it answers, it just refuses to vote).
    const admin = await mintToken("admin");
    await suspend(admin, "validator-2");
    let fams = await scrape();
    expect(sum(fams, "trustchain_validator_suspended", { validator: "validator-2" })).toBe(1);
    expect(sum(fams, "trustchain_validator_healthy", { validator: "validator-2" })).toBe(1);
    type Status = { validators: { configured: boolean; validators: { validator: string; healthy: boolean; suspended: boolean; quarantined: boolean }[] } };
    let status = (await (await call("/api/v1/status")).json()) as Status;
    expect(status.validators.configured).toBe(true);
    expect(status.validators.validators.find((v) => v.validator === "validator-2")).toEqual({ validator: "validator-2", healthy: true, suspended: true, quarantined: false });
    await resume(admin, "validator-2");
    expect(sum(await scrape(), "trustchain_validator_suspended")).toBe(0);

    // An equivocation: counted, quarantined, and the gauge says so until the operator releases it.
    const stolen = await stealValidatorKey("validator-3");
    const hash = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const votes = [await forgeVote(stolen, { requestHash: hash, validator: "validator-3", verdict: "approve" }), await forgeVote(stolen, { requestHash: hash, validator: "validator-3", verdict: "reject" })];
    expect((await call("/consensus/validate_proofs", { method: "POST", ...json({ votes }) })).status).toBe(200);
    fams = await scrape();
    expect(sum(fams, "trustchain_consensus_equivocations_total", { validator: "validator-3" }) - sum(before, "trustchain_consensus_equivocations_total", { validator: "validator-3" })).toBe(1);
    expect(sum(fams, "trustchain_validator_quarantines_total", { validator: "validator-3", reason: "equivocation" }) - sum(before, "trustchain_validator_quarantines_total", { validator: "validator-3", reason: "equivocation" })).toBe(1);
    expect(sum(fams, "trustchain_validator_quarantined", { validator: "validator-3" })).toBe(1);
    status = (await (await call("/api/v1/status")).json()) as Status;
    expect(status.validators.validators.find((v) => v.validator === "validator-3")!.quarantined).toBe(true);
    expect((await call("/consensus/validators/validator-3/release", { method: "POST", token: admin })).status).toBe(200);
    expect(sum(await scrape(), "trustchain_validator_quarantined", { validator: "validator-3" })).toBe(0);
  });

  it("renders label values with quotes, backslashes and newlines so a parser reads them back", () => {
    const reg = new Registry();
    const c = counter("t_weird_total", 'help with \\ and\nnewline');
    const h = histogram("t_latency_seconds", "h", [0.1, 1]);
    reg.inc(c, { v: 'a"b\\c\nd' }, 2);
    reg.observe(h, {}, 0.05);
    reg.observe(h, {}, 5);
    const state: MetricsState = {};
    applyDelta(state, reg.take()!);
    reg.inc(c, { v: 'a"b\\c\nd' });
    applyDelta(state, reg.take()!);
    const fams = parsePrometheusTextFormat(exposition(Object.values(state)));
    expect(fams.find((f) => f.name === "t_weird_total")!.metrics[0]).toEqual({ labels: { v: 'a"b\\c\nd' }, value: "3" });
    expect(fams.find((f) => f.name === "t_latency_seconds")!.metrics[0]).toMatchObject({ buckets: { "0.1": "1", "1": "1", "+Inf": "2" }, count: "2", sum: "5.05" });
  });
});

describe("/health", () => {
  it("checks every Durable Object class, D1 and R2", async () => {
    const res = await call("/health");
    const body = (await res.json()) as { status: string; failing: string[]; checks: Record<string, { ok: boolean }> };
    expect(Object.keys(body.checks).sort()).toEqual(["ca_signer", "ct_log", "d1", "metrics", "r2", "rate_limiter", "zone"]);
    expect(body.failing).toEqual([]);
    expect(res.status).toBe(200);
  });
});
