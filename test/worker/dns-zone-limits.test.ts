// Zone size limits at their defaults (wrangler.toml: 10,000 RRsets per zone, 1,000 records per
// RRset, 1 MiB of zone file): a change past one is refused with a problem document and the zone
// keeps what it had; a change within them is accepted.

import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_ZONE_LIMITS, MAX_RRSET_WIRE_OCTETS, zoneLimits } from "../../src/dns/zone-limits.ts";
import { call, mintToken } from "../support/worker-helpers.ts";

const ZONE = "limits.test";
const { maxRRsets, maxRecordsPerRRset, maxZoneFileBytes } = DEFAULT_ZONE_LIMITS;

let admin: string;
let editor: string;

const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { "content-type": "application/json" } });
const zoneText = { "content-type": "text/dns" };
type Problem = { type: string; title?: string; status: number; detail: string };

/** A zone file with SOA, NS and `hosts` single-address A RRsets: 2 + hosts RRsets. */
function zoneFile(hosts: number): string {
  const lines = [`$ORIGIN ${ZONE}.`, "$TTL 300", "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300", "@ IN NS ns1.elsewhere.example."];
  for (let i = 0; i < hosts; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return lines.join("\n") + "\n";
}

const addresses = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.9.${i >> 8}.${i & 255}`);

/** The zone as its users see it: the exported master file and the serial. */
async function snapshot(): Promise<{ text: string; serial: number; rrsets: number }> {
  const text = await (await call(`/api/v1/zones/${ZONE}/zonefile`, { token: editor })).text();
  const s = (await (await call(`/api/v1/zones/${ZONE}`, { token: editor })).json()) as { serial: number; rrsets: number };
  return { text, serial: s.serial, rrsets: s.rrsets };
}

async function expectProblem(r: Response, status: number, detail: RegExp): Promise<Problem> {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  const p = (await r.json()) as Problem;
  expect(p.status).toBe(status);
  expect(p.detail).toMatch(detail);
  return p;
}

beforeAll(async () => {
  admin = await mintToken("admin");
  editor = await mintToken(`zone:${ZONE}`);
  expect((await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name: ZONE }) })).status).toBe(201);
});

describe("zone size limits", () => {
  it("reads the limits from [vars], falling back to the defaults on unusable values", () => {
    expect(zoneLimits({})).toEqual(DEFAULT_ZONE_LIMITS);
    expect(zoneLimits({ ZONE_MAX_RRSETS: "500", ZONE_MAX_RECORDS_PER_RRSET: "20", ZONE_MAX_FILE_BYTES: "65536" })).toEqual({ maxRRsets: 500, maxRecordsPerRRset: 20, maxZoneFileBytes: 65536 });
    expect(zoneLimits({ ZONE_MAX_RRSETS: "lots", ZONE_MAX_RECORDS_PER_RRSET: "0", ZONE_MAX_FILE_BYTES: "1e9" })).toEqual(DEFAULT_ZONE_LIMITS);
  });

  it("refuses a zone file over the byte limit with 413 before reading it, and keeps the zone", async () => {
    const before = await snapshot();
    const body = zoneFile(0) + ";".repeat(maxZoneFileBytes - zoneFile(0).length + 1);
    const r = await call(`/api/v1/zones/${ZONE}/zonefile`, { method: "PUT", token: editor, body, headers: zoneText });
    await expectProblem(r, 413, new RegExp(`larger than ${maxZoneFileBytes} bytes`));
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a zone file of more RRsets than the limit with 422, and keeps the zone", async () => {
    const before = await snapshot();
    const r = await call(`/api/v1/zones/${ZONE}/zonefile`, { method: "PUT", token: editor, body: zoneFile(maxRRsets - 1), headers: zoneText });
    const p = await expectProblem(r, 422, new RegExp(`would hold ${maxRRsets + 1} RRsets; a zone here holds at most ${maxRRsets}`));
    expect(p.title).toBe("Unprocessable Content");
    expect(await snapshot()).toEqual(before);
  });

  it("accepts a zone at the RRset limit, then refuses a new RRset but allows changing and removing existing ones", async () => {
    const imported = await call(`/api/v1/zones/${ZONE}/zonefile`, { method: "PUT", token: editor, body: zoneFile(maxRRsets - 2), headers: zoneText });
    expect(imported.status).toBe(200);
    expect(((await imported.json()) as { rrsets: number }).rrsets).toBe(maxRRsets);

    const full = await snapshot();
    expect(full.rrsets).toBe(maxRRsets);
    const add = await call(`/api/v1/zones/${ZONE}/rrsets/extra/A`, { method: "PUT", token: editor, ...json({ ttl: 300, records: ["192.0.2.1"] }) });
    await expectProblem(add, 422, new RegExp(`would hold ${maxRRsets + 1} RRsets`));
    expect(await snapshot()).toEqual(full);
    expect((await call(`/api/v1/zones/${ZONE}/rrsets/extra/A`, { token: editor })).status).toBe(404);
    // The DNS-01 hook adds a TXT RRset the same way: refused too.
    const present = await call("/api/v1/dns01/present", { method: "POST", token: editor, ...json({ fqdn: `_acme-challenge.${ZONE}.`, value: "x".repeat(43) }) });
    expect(present.status).toBe(422);
    expect(await snapshot()).toEqual(full);

    const change = await call(`/api/v1/zones/${ZONE}/rrsets/h0/A`, { method: "PUT", token: editor, ...json({ ttl: 60, records: ["192.0.2.2", "192.0.2.3"] }) });
    expect(change.status).toBe(200);
    expect(await (await call(`/api/v1/zones/${ZONE}/rrsets/h0/A`, { token: editor })).json()).toEqual({ name: `h0.${ZONE}.`, type: "A", ttl: 60, records: ["192.0.2.2", "192.0.2.3"] });
    expect((await call(`/api/v1/zones/${ZONE}/rrsets/h1/A`, { method: "DELETE", token: editor })).status).toBe(200);
    const readd = await call(`/api/v1/zones/${ZONE}/rrsets/extra/A`, { method: "PUT", token: editor, ...json({ ttl: 300, records: ["192.0.2.1"] }) });
    expect(readd.status).toBe(200);
    expect((await snapshot()).rrsets).toBe(maxRRsets);
  });

  it("refuses an RRset of more records than the limit with 422, and accepts one at the limit", async () => {
    // The zone is full from the test above, so these replace an existing RRset.
    const before = await snapshot();
    const over = await call(`/api/v1/zones/${ZONE}/rrsets/h2/A`, { method: "PUT", token: editor, ...json({ ttl: 300, records: addresses(maxRecordsPerRRset + 1) }) });
    await expectProblem(over, 422, new RegExp(`A RRset at h2\\.${ZONE}\\. has ${maxRecordsPerRRset + 1} records; an RRset here holds at most ${maxRecordsPerRRset}`));
    expect(await snapshot()).toEqual(before);
    const atLimit = await call(`/api/v1/zones/${ZONE}/rrsets/h2/A`, { method: "PUT", token: editor, ...json({ ttl: 300, records: addresses(maxRecordsPerRRset) }) });
    expect(atLimit.status).toBe(200);
    const got = (await (await call(`/api/v1/zones/${ZONE}/rrsets/h2/A`, { token: editor })).json()) as { records: string[] };
    expect(got.records).toHaveLength(maxRecordsPerRRset);
  });

  it("refuses an RRset no DNS message could carry (1,000 TXT records of 255 octets are within the record limit) and keeps the zone", async () => {
    const name = "txt-size.test";
    expect((await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name }) })).status).toBe(201);
    const txt = (n: number) => Array.from({ length: n }, (_, i) => `"${String(i).padStart(4, "0")}${"x".repeat(251)}"`);
    const put = await call(`/api/v1/zones/${name}/rrsets/big/TXT`, { method: "PUT", token: admin, ...json({ ttl: 300, records: txt(200) }) });
    expect(put.status).toBe(200); // 200 × (256 + 12) = 53,600 octets
    const before = await (await call(`/api/v1/zones/${name}/zonefile`, { token: admin })).text();
    // An RRset PUT that large is over its body limit already (413); a zone-file import is not.
    const file = [`$ORIGIN ${name}.`, "@ 300 IN SOA ns1 hostmaster 1 7200 3600 1209600 300", "@ 300 IN NS ns1.elsewhere.example.", ...txt(maxRecordsPerRRset).map((t) => `big 300 IN TXT ${t}`)].join("\n");
    const imported = await call(`/api/v1/zones/${name}/zonefile`, { method: "PUT", token: admin, body: file, headers: zoneText });
    await expectProblem(imported, 422, new RegExp(`TXT RRset at big\\.${name.replace(".", "\\.")}\\. takes 268000 octets in an answer; .* at most ${MAX_RRSET_WIRE_OCTETS}`));
    expect(await (await call(`/api/v1/zones/${name}/zonefile`, { token: admin })).text()).toBe(before);
  });

  it("refuses to create a zone whose file holds an RRset over the record limit, and creates nothing", async () => {
    const name = "too-many-records.test";
    const lines = [`$ORIGIN ${name}.`, "@ 300 IN SOA ns1 hostmaster 1 7200 3600 1209600 300", "@ 300 IN NS ns1.elsewhere.example."];
    for (const a of addresses(maxRecordsPerRRset + 1)) lines.push(`www 300 IN A ${a}`);
    const r = await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name, zonefile: lines.join("\n") }) });
    await expectProblem(r, 422, new RegExp(`has ${maxRecordsPerRRset + 1} records`));
    expect((await call(`/api/v1/zones/${name}`, { token: admin })).status).toBe(404);
    // The name is not left taken: within the limit it is created.
    const ok = await call("/api/v1/zones", { method: "POST", token: admin, ...json({ name, zonefile: lines.slice(0, -1).join("\n") }) });
    expect(ok.status).toBe(201);
  });
});
