// The CA end to end with the real openssl CLI: keys and CSRs made by openssl, chains verified by
// openssl, OCSP asked by `openssl ocsp`, the CRL checked by `openssl crl -verify`, across a restart
// and across a rotation of the issuing CA (old and new leaves, each with its own issuer).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalTrustChain, openssl, runScript, startLocal } from "../support/e2e.ts";

let tc: LocalTrustChain;
let dir: string;
let token: string;

const KEYS: Record<string, string[]> = {
  rsa2048: ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  p256: ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  p384: ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  ed25519: ["genpkey", "-algorithm", "ED25519"],
};

interface Issued {
  serial: string;
  certificate: string;
  chain: string;
  not_before: string;
  not_after: string;
}

async function issueWithOpenssl(kind: string, names: string, file = kind): Promise<{ issued: Issued; leafPath: string }> {
  const key = join(dir, `${file}.key`);
  const csr = join(dir, `${file}.csr`);
  const cn = /DNS:([^,]+)/.exec(names)![1]!;
  expect(openssl([...KEYS[kind]!, "-out", key]).status).toBe(0);
  const req = openssl(["req", "-new", "-key", key, "-subj", `/CN=${cn}`, "-addext", `subjectAltName=${names}`, "-out", csr]);
  expect(req.status, req.out).toBe(0);
  const res = await fetch(`${tc.url}/api/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/pkcs10" },
    body: readFileSync(csr),
  });
  const body = (await res.json()) as Issued;
  expect(res.status, JSON.stringify(body)).toBe(201);
  const leafPath = join(dir, `${file}.pem`);
  writeFileSync(leafPath, body.certificate);
  return { issued: body, leafPath };
}

function ocspStatus(leafPath: string, issuer = "intermediate.pem"): string {
  const r = openssl(["ocsp", "-issuer", join(dir, issuer), "-cert", leafPath, "-url", `${tc.url}/ocsp`, "-CAfile", join(dir, "root.pem")]);
  expect(r.out).toContain("Response verify OK");
  return r.out;
}

function verifies(leafPath: string, untrusted: string): { status: number; out: string } {
  return openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, untrusted), leafPath]);
}

let logInfo: { log_id: string };

beforeAll(async () => {
  tc = await startLocal("e2e-ca");
  dir = tc.persistTo;
  token = tc.token("admin");
  const ca = (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { root: { pem: string }; intermediates: { pem: string }[] };
  writeFileSync(join(dir, "root.pem"), ca.root.pem);
  writeFileSync(join(dir, "intermediate.pem"), ca.intermediates[0]!.pem);
  logInfo = (await (await fetch(`${tc.url}/trustchain-2026/log.v3.json`)).json()) as { log_id: string };
});

afterAll(async () => {
  await tc?.stop();
});

const issuedBeforeRestart: Record<string, { issued: Issued; leafPath: string }> = {};

describe("certificates issued to openssl-made CSRs", () => {
  const issued = issuedBeforeRestart;

  it.each(Object.keys(KEYS))("%s: chain verifies and the profile is right", async (kind) => {
    issued[kind] = await issueWithOpenssl(kind, `DNS:${kind}.example.com,DNS:www.${kind}.example.com,IP:2001:db8::${kind.length}`);
    const leaf = issued[kind]!.leafPath;
    const v = openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "intermediate.pem"), leaf]);
    expect(v.out).toContain(`${leaf}: OK`);
    expect(v.status).toBe(0);

    const text = openssl(["x509", "-in", leaf, "-noout", "-text"]).out;
    expect(text).toContain(`DNS:${kind}.example.com, DNS:www.${kind}.example.com, IP Address:2001:DB8:0:0:0:0:0:${kind.length}`);
    expect(text).toContain("X509v3 Subject Key Identifier");
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(text).toMatch(/OCSP - URI:http:\/\/127\.0\.0\.1:\d+\/ocsp/);
    expect(text).toMatch(/CA Issuers - URI:http:\/\/127\.0\.0\.1:\d+\/ca\/[0-9a-f]{40}\.der/);
    expect(text).toMatch(/X509v3 CRL Distribution Points:\s+Full Name:\s+URI:http:\/\/127\.0\.0\.1:\d+\/crl\/[0-9a-f]{40}\.crl/);
    expect(text).toContain("CA:FALSE");
    expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
    expect(text).toContain("Policy: 2.23.140.1.2.1");
    // The precertificate was logged in our CT log and its SCT is embedded (RFC 6962 §3.3).
    expect(text).toContain("CT Precertificate SCTs");
    const logId = Buffer.from(logInfo.log_id, "base64").toString("hex").toUpperCase().match(/../g)!.join(":");
    expect(text.replace(/\s+/g, "")).toContain(logId);

    const dates = openssl(["x509", "-in", leaf, "-noout", "-startdate", "-enddate"]).out;
    const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    expect(end - start).toBe(24 * 3600 * 1000);
  });

  it("the AIA caIssuers URL serves the intermediate, which verifies to the root", async () => {
    const text = openssl(["x509", "-in", issued.p256!.leafPath, "-noout", "-text"]).out;
    const url = /CA Issuers - URI:(\S+)/.exec(text)![1]!;
    const der = new Uint8Array(await (await fetch(url)).arrayBuffer());
    writeFileSync(join(dir, "aia.der"), der);
    const pem = openssl(["x509", "-inform", "DER", "-in", join(dir, "aia.der")]).out;
    expect(pem).toBe(readFileSync(join(dir, "intermediate.pem"), "utf8"));
  });

  it("OCSP says good, then revoked with the reason; the CRL verifies and lists the serial", async () => {
    expect(ocspStatus(issued.p256!.leafPath)).toMatch(/: good/);

    const revoked = issued.rsa2048!;
    const res = await fetch(`${tc.url}/api/v1/certificates/${revoked.issued.serial}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "keyCompromise" }),
    });
    expect(res.status).toBe(200);

    const out = ocspStatus(revoked.leafPath);
    expect(out).toMatch(/: revoked/);
    expect(out).toContain("Reason: keyCompromise");
    expect(ocspStatus(issued.p256!.leafPath)).toMatch(/: good/);

    const text = openssl(["x509", "-in", revoked.leafPath, "-noout", "-text"]).out;
    const crlUrl = /Full Name:\s+URI:(\S+)/.exec(text)![1]!;
    const crlRes = await fetch(crlUrl);
    expect(crlRes.headers.get("content-type")).toBe("application/pkix-crl");
    writeFileSync(join(dir, "crl.der"), new Uint8Array(await crlRes.arrayBuffer()));
    writeFileSync(join(dir, "ca-chain.pem"), readFileSync(join(dir, "intermediate.pem"), "utf8") + readFileSync(join(dir, "root.pem"), "utf8"));
    const crl = openssl(["crl", "-in", join(dir, "crl.der"), "-inform", "DER", "-CAfile", join(dir, "ca-chain.pem"), "-verify", "-noout", "-text"]);
    expect(crl.out).toContain("verify OK");
    expect(crl.out).toContain(`Serial Number: ${revoked.issued.serial.toUpperCase()}`);
    expect(crl.out).toContain("Key Compromise");
    expect(crl.out).toMatch(/Next Update: /);
    expect(crl.out).toMatch(/X509v3 CRL Number:\s+\d+/);
  });

  it("OCSP over GET answers the same, with caching headers", async () => {
    const reqPath = join(dir, "ocsp.req");
    openssl(["ocsp", "-issuer", join(dir, "intermediate.pem"), "-cert", issued.p384!.leafPath, "-no_nonce", "-reqout", reqPath]);
    const b64 = readFileSync(reqPath).toString("base64");
    const res = await fetch(`${tc.url}/ocsp/${encodeURIComponent(b64)}`);
    expect(res.headers.get("content-type")).toBe("application/ocsp-response");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    writeFileSync(join(dir, "ocsp.resp"), new Uint8Array(await res.arrayBuffer()));
    const r = openssl(["ocsp", "-respin", join(dir, "ocsp.resp"), "-issuer", join(dir, "intermediate.pem"), "-cert", issued.p384!.leafPath, "-CAfile", join(dir, "root.pem")]);
    expect(r.out).toContain("Response verify OK");
    expect(r.out).toMatch(/: good/);
  });

  it("a restart keeps the CA keys and the index", async () => {
    await tc.restart();
    const ca = (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { root: { pem: string } };
    expect(ca.root.pem).toBe(readFileSync(join(dir, "root.pem"), "utf8"));
    for (const kind of Object.keys(KEYS)) {
      const v = openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "intermediate.pem"), issued[kind]!.leafPath]);
      expect(v.status, v.out).toBe(0);
    }
    expect(ocspStatus(issued.rsa2048!.leafPath)).toMatch(/: revoked/);
    expect(ocspStatus(issued.p256!.leafPath)).toMatch(/: good/);
    // And it still issues, from the same intermediate.
    const after = await issueWithOpenssl("p256", "DNS:after-restart.example.com", "after-restart");
    const v = openssl(["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "intermediate.pem"), after.leafPath]);
    expect(v.status, v.out).toBe(0);
  });
});

interface IssuingJson {
  id: string;
  pem: string;
  status: "current" | "retired";
}

describe("after a rotation of the issuing CA", () => {
  let oldLeaf: { issued: Issued; leafPath: string };
  let newLeaf: { issued: Issued; leafPath: string };
  let rotated: { retired: IssuingJson; issuing: IssuingJson };

  it("an admin rotates it: the new intermediate verifies to the same root, the old one is listed as retired", async () => {
    oldLeaf = await issueWithOpenssl("p256", "DNS:before-rotation.example.com", "before-rotation");
    // What an operator runs (npm run ca:rotate); it calls POST /api/v1/admin/ca-rotate.
    const run = runScript("ca-rotate.ts", ["--url", tc.url, "--token", token]);
    expect(run.status, run.out).toBe(0);
    rotated = JSON.parse(run.stdout) as typeof rotated;
    expect(rotated.retired.pem).toBe(readFileSync(join(dir, "intermediate.pem"), "utf8"));
    writeFileSync(join(dir, "intermediate-new.pem"), rotated.issuing.pem);
    writeFileSync(join(dir, "intermediates-all.pem"), rotated.issuing.pem + rotated.retired.pem);

    const inter = openssl(["verify", "-CAfile", join(dir, "root.pem"), join(dir, "intermediate-new.pem")]);
    expect(inter.status, inter.out).toBe(0);
    expect(openssl(["x509", "-in", join(dir, "intermediate-new.pem"), "-noout", "-subject"]).out).toContain("TrustChain Issuing E2");
    const ca = (await (await fetch(`${tc.url}/api/v1/ca`)).json()) as { intermediates: IssuingJson[] };
    expect(ca.intermediates.map((i) => [i.id, i.status])).toEqual([
      [rotated.issuing.id, "current"],
      [rotated.retired.id, "retired"],
    ]);
  });

  it("openssl verify accepts the old and the new leaf with their own chains (and with both intermediates offered)", async () => {
    newLeaf = await issueWithOpenssl("p256", "DNS:after-rotation.example.com", "after-rotation");
    expect(newLeaf.issued.chain).toBe(newLeaf.issued.certificate + rotated.issuing.pem);
    expect(verifies(newLeaf.leafPath, "intermediate-new.pem").out).toContain(": OK");
    expect(verifies(oldLeaf.leafPath, "intermediate.pem").out).toContain(": OK");
    // Each leaf names its issuer: the other intermediate does not verify it.
    expect(verifies(newLeaf.leafPath, "intermediate.pem").status).not.toBe(0);
    expect(verifies(oldLeaf.leafPath, "intermediate-new.pem").status).not.toBe(0);
    for (const leaf of [oldLeaf, newLeaf, ...Object.values(issuedBeforeRestart)]) {
      const v = verifies(leaf.leafPath, "intermediates-all.pem");
      expect(v.status, v.out).toBe(0);
    }
    // The new leaf's AIA serves the new intermediate.
    const url = /CA Issuers - URI:(\S+)/.exec(openssl(["x509", "-in", newLeaf.leafPath, "-noout", "-text"]).out)![1]!;
    expect(url).toContain(rotated.issuing.id);
    writeFileSync(join(dir, "aia-new.der"), new Uint8Array(await (await fetch(url)).arrayBuffer()));
    expect(openssl(["x509", "-inform", "DER", "-in", join(dir, "aia-new.der")]).out).toBe(rotated.issuing.pem);
  });

  it("openssl ocsp gets answers for both, each signed by its own issuer; a revocation by the retired issuer reaches its OCSP and its CRL", async () => {
    expect(ocspStatus(oldLeaf.leafPath, "intermediate.pem")).toMatch(/: good/);
    expect(ocspStatus(newLeaf.leafPath, "intermediate-new.pem")).toMatch(/: good/);

    const res = await fetch(`${tc.url}/api/v1/certificates/${oldLeaf.issued.serial}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "superseded" }),
    });
    expect(res.status).toBe(200);
    const out = ocspStatus(oldLeaf.leafPath, "intermediate.pem");
    expect(out).toMatch(/: revoked/);
    expect(out).toContain("Reason: superseded");
    expect(ocspStatus(newLeaf.leafPath, "intermediate-new.pem")).toMatch(/: good/);

    const crlUrl = /Full Name:\s+URI:(\S+)/.exec(openssl(["x509", "-in", oldLeaf.leafPath, "-noout", "-text"]).out)![1]!;
    expect(crlUrl).toContain(rotated.retired.id);
    writeFileSync(join(dir, "crl-retired.der"), new Uint8Array(await (await fetch(crlUrl)).arrayBuffer()));
    const crl = openssl(["crl", "-in", join(dir, "crl-retired.der"), "-inform", "DER", "-CAfile", join(dir, "ca-chain.pem"), "-verify", "-noout", "-text"]);
    expect(crl.out).toContain("verify OK");
    expect(crl.out).toContain(`Serial Number: ${oldLeaf.issued.serial.toUpperCase()}`);
    // openssl verify with CRL checking: the revoked old leaf fails, the new one passes with its own CRL.
    const newCrlUrl = /Full Name:\s+URI:(\S+)/.exec(openssl(["x509", "-in", newLeaf.leafPath, "-noout", "-text"]).out)![1]!;
    writeFileSync(join(dir, "crl-new.der"), new Uint8Array(await (await fetch(newCrlUrl)).arrayBuffer()));
    const pemCrl = (f: string) => openssl(["crl", "-inform", "DER", "-in", join(dir, f)]).out;
    writeFileSync(join(dir, "crls.pem"), pemCrl("crl-retired.der") + pemCrl("crl-new.der"));
    const checked = (leaf: string) => openssl(["verify", "-crl_check", "-CRLfile", join(dir, "crls.pem"), "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "intermediates-all.pem"), leaf]);
    expect(checked(oldLeaf.leafPath).out).toContain("certificate revoked");
    expect(checked(newLeaf.leafPath).status, checked(newLeaf.leafPath).out).toBe(0);
  });

  it("a restart keeps both issuing CAs: the retired one still answers OCSP, the new one still issues", async () => {
    await tc.restart();
    expect(ocspStatus(oldLeaf.leafPath, "intermediate.pem")).toMatch(/: revoked/);
    expect(ocspStatus(newLeaf.leafPath, "intermediate-new.pem")).toMatch(/: good/);
    const again = await issueWithOpenssl("p256", "DNS:after-rotation-restart.example.com", "after-rotation-restart");
    expect(verifies(again.leafPath, "intermediate-new.pem").status).toBe(0);
  });
});
