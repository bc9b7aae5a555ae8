// ACME and the post-quantum hierarchy (issue 7 item 5): a classical certificate's download links
// an alternate chain (RFC 8555 §7.4.2) through the classical issuing CA cross-certified by the
// ML-DSA-87 root; and the "mldsa" profile (draft-aaron-acme-profiles) issues on the ML-DSA
// hierarchy, for an ML-DSA key or a classical one.

import { AsnConvert } from "@peculiar/asn1-schema";
import { Certificate } from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import { ML_DSA_OID } from "../../src/crypto/ml-dsa.ts";
import { parsePem } from "../../src/encoding/pem.ts";
import { AcmeClient, BASE, type OrderJson, b64u, newOrder, validateDns } from "../support/acme-client.ts";
import { mlDsaCsr, spkiDerOf, verifiesWith } from "../support/pq-helpers.ts";
import { call, hostedZoneForTests, makeCsr, mintToken } from "../support/worker-helpers.ts";

const ZONE = "acme-pq.test";
const { admin, present } = hostedZoneForTests(ZONE);

const certs = (pem: string) => (parsePem(pem) ?? []).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
const parse = (der: Uint8Array) => AsnConvert.parse(der, Certificate);
const cn = (der: Uint8Array, field: "subject" | "issuer") =>
  parse(der).tbsCertificate[field].flatMap((rdn) => rdn.map((a) => a)).find((a) => a.type === "2.5.4.3")!.value.toString();
const links = (r: Response, rel: string) =>
  (r.headers.get("link") ?? "").split(/,\s*(?=<)/).filter((l) => l.includes(`rel="${rel}"`)).map((l) => l.slice(1, l.indexOf(">")));

/** An account, a validated order (with `extra` in newOrder) and its finalize with `csrDer`. */
async function issue(names: string[], csrDer: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ client: AcmeClient; order: OrderJson }> {
  const client = await AcmeClient.create();
  await client.register();
  const { url, order } = await newOrder(client, names, extra);
  await validateDns(client, order, async (t) => `${t}.${await client.thumbprint()}`, present);
  const f = await client.post(order.finalize, { csr: b64u(csrDer) });
  expect(f.status, await f.clone().text()).toBe(200);
  return { client, order: (await (await client.post(url, "")).json()) as OrderJson };
}

describe("ACME profiles (draft-aaron-acme-profiles)", () => {
  it("the directory lists the profiles; an unknown profile is refused with invalidProfile", async () => {
    const d = (await (await call("/acme/directory")).json()) as { meta: { profiles: Record<string, string> } };
    expect(Object.keys(d.meta.profiles).sort()).toEqual(["classic", "mldsa"]);
    expect(d.meta.profiles.mldsa).toContain("ML-DSA");
    const client = await AcmeClient.create();
    await client.register();
    for (const profile of ["quantum", 7, null, {}, [], "", "x".repeat(5000), "Classic"]) {
      const r = await client.post(`${BASE}/acme/new-order`, { identifiers: [{ type: "dns", value: `x.${ZONE}` }], profile });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { type: string }).type).toBe("urn:ietf:params:acme:error:invalidProfile");
    }
  });

  it("the mldsa profile issues an ML-DSA-44 key's certificate on the ML-DSA hierarchy", async () => {
    const csr = await mlDsaCsr("ML-DSA-44", [`pq.${ZONE}`]);
    const { client, order } = await issue([`pq.${ZONE}`], csr.der, { profile: "mldsa" });
    expect(order.status).toBe("valid");
    expect((order as OrderJson & { profile?: string }).profile).toBe("mldsa");
    const r = await client.post(order.certificate!, "");
    expect(r.status).toBe(200);
    const [leaf, issuing, ...rest] = certs(await r.text());
    expect(rest).toEqual([]);
    expect(parse(leaf!).signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-65"]);
    expect(parse(leaf!).tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-44"]);
    expect(cn(issuing!, "subject")).toBe("TrustChain ML-DSA Issuing M1");
    expect(await verifiesWith(leaf!, spkiDerOf(issuing!))).toBe(true);
    // An ML-DSA leaf has no chain to the classical root: no alternate.
    expect(links(r, "alternate")).toEqual([]);
    expect((await client.post(`${order.certificate!}/1`, "")).status).toBe(404);
  });

  it("the mldsa profile also signs a classical P-256 key on the ML-DSA hierarchy", async () => {
    const csr = await makeCsr("p256", [`ec.${ZONE}`]);
    const { client, order } = await issue([`ec.${ZONE}`], csr.der, { profile: "mldsa" });
    const [leaf, issuing] = certs(await (await client.post(order.certificate!, "")).text());
    expect(parse(leaf!).signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-65"]);
    expect(await verifiesWith(leaf!, spkiDerOf(issuing!))).toBe(true);
  });
});

describe("the alternate chain to the ML-DSA root (RFC 8555 §7.4.2)", () => {
  it("a classical certificate links chain 1: leaf → cross-certified issuing CA → ML-DSA-87 root", async () => {
    const csr = await makeCsr("p256", [`www.${ZONE}`]);
    const { client, order } = await issue([`www.${ZONE}`], csr.der);
    expect((order as OrderJson & { profile?: string }).profile).toBeUndefined();
    const def = await client.post(order.certificate!, "");
    const [leaf, classicalIssuing] = certs(await def.text());
    expect(links(def, "alternate")).toEqual([`${order.certificate!}/1`]);

    const alt = await client.post(`${order.certificate!}/1`, "");
    expect(alt.status).toBe(200);
    expect(alt.headers.get("content-type")).toBe("application/pem-certificate-chain");
    expect(links(alt, "alternate")).toEqual([order.certificate!]);
    const chain = certs(await alt.text());
    expect(chain).toHaveLength(3);
    const [leaf2, cross, root] = chain as [Uint8Array, Uint8Array, Uint8Array];
    expect(leaf2).toEqual(leaf);
    // The cross-certificate: the classical issuing CA's name and key, signed by the ML-DSA-87 root.
    expect(parse(cross).tbsCertificate.subject).toEqual(parse(classicalIssuing!).tbsCertificate.subject);
    expect(spkiDerOf(cross)).toEqual(spkiDerOf(classicalIssuing!));
    expect(parse(cross).signatureAlgorithm.algorithm).toBe(ML_DSA_OID["ML-DSA-87"]);
    expect(cn(cross, "issuer")).toBe("TrustChain ML-DSA Root R1");
    expect(cn(root, "subject")).toBe("TrustChain ML-DSA Root R1");
    // Every link verifies, and breaks when a byte of the cross-certificate's signature changes.
    expect(await verifiesWith(leaf2, spkiDerOf(cross))).toBe(true);
    expect(await verifiesWith(cross, spkiDerOf(root))).toBe(true);
    expect(await verifiesWith(root, spkiDerOf(root))).toBe(true);
    const tampered = cross.slice();
    tampered[tampered.length - 10]! ^= 1;
    expect(await verifiesWith(tampered, spkiDerOf(root))).toBe(false);
    // The cross-certificate is published under /ca/ (the "up" link) and in GET /api/v1/ca's pq section.
    const up = links(alt, "up")[0]!;
    const published = await call(new URL(up).pathname);
    expect(published.status).toBe(200);
    expect(new Uint8Array(await published.arrayBuffer())).toEqual(cross);
    expect((await client.post(`${order.certificate!}/2`, "")).status).toBe(404);
  });

  it("after a rotation, a certificate of the retired issuing CA keeps both chains; a new one gets the new CA's", async () => {
    const { client, order } = await issue([`old.${ZONE}`], (await makeCsr("p256", [`old.${ZONE}`])).der);
    const [, oldIssuing] = certs(await (await client.post(order.certificate!, "")).text());
    const [, oldCross] = certs(await (await client.post(`${order.certificate!}/1`, "")).text());
    const rotated = await call("/api/v1/admin/ca-rotate", { method: "POST", token: admin(), body: "{}", headers: { "content-type": "application/json" } });
    expect(rotated.status, await rotated.clone().text()).toBe(200);

    const def = await client.post(order.certificate!, "");
    expect(def.status).toBe(200);
    expect(certs(await def.text())[1]).toEqual(oldIssuing);
    const alt = certs(await (await client.post(`${order.certificate!}/1`, "")).text());
    expect(alt[1]).toEqual(oldCross);
    expect(cn(alt[2]!, "subject")).toBe("TrustChain ML-DSA Root R1");

    const fresh = await issue([`new.${ZONE}`], (await makeCsr("p256", [`new.${ZONE}`])).der);
    const [leaf, issuing] = certs(await (await fresh.client.post(fresh.order.certificate!, "")).text());
    expect(cn(issuing!, "subject")).toBe("TrustChain Issuing E2");
    expect(await verifiesWith(leaf!, spkiDerOf(issuing!))).toBe(true);
    const [, cross, root] = certs(await (await fresh.client.post(`${fresh.order.certificate!}/1`, "")).text());
    expect(spkiDerOf(cross!)).toEqual(spkiDerOf(issuing!));
    expect(await verifiesWith(leaf!, spkiDerOf(cross!))).toBe(true);
    expect(await verifiesWith(cross!, spkiDerOf(root!))).toBe(true);
  });
});
