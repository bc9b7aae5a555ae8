// Revocation status for relying parties: OCSP (RFC 6960 / RFC 5019) and CRLs, plus the CA
// certificates that AIA caIssuers points at. These routes are public by design.

import { Hono } from "hono";
import { fromBase64 } from "../src/encoding/bytes.ts";
import { ProblemType, problem, isProblem } from "../src/problem.ts";
import { OCSP_VALIDITY_SECONDS } from "../src/revocation/ocsp.ts";
import { OCSP_REUSE_SECONDS } from "../src/revocation/ocsp-cache.ts";
import { caSigner } from "./env.ts";
import { type AppEnv, problemResponse, readBody, tooLarge } from "./http.ts";

export const revocation = new Hono<AppEnv>();

const MAX_OCSP_REQUEST = 4096;

async function answerOcsp(env: AppEnv["Bindings"], der: Uint8Array): Promise<Response> {
  const result = await caSigner(env).ocsp(der);
  if (isProblem(result)) return problemResponse(result);
  // A successful response is at least tens of bytes; error responses are 5 bytes and must not be cached.
  const successful = result.length > 16;
  return new Response(result, {
    headers: {
      "content-type": "application/ocsp-response",
      // RFC 5019 §6.2: no longer than until nextUpdate, which a reused response is nearer to.
      "cache-control": successful ? `public, max-age=${OCSP_VALIDITY_SECONDS - OCSP_REUSE_SECONDS}, no-transform, must-revalidate` : "no-store",
    },
  });
}

revocation.post("/ocsp", async (c) => {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/ocsp-request") {
    return problemResponse(problem(ProblemType.malformed, 415, "OCSP requests must be sent as application/ocsp-request", { title: "Unsupported Media Type" }));
  }
  const body = await readBody(c.req.raw, MAX_OCSP_REQUEST);
  if (!body) return tooLarge(MAX_OCSP_REQUEST);
  return answerOcsp(c.env, body);
});

// RFC 6960 Appendix A.1: GET {url}/{url-encoding of base-64 encoding of the DER request}.
revocation.get("/ocsp/*", async (c) => {
  const raw = new URL(c.req.url).pathname.slice("/ocsp/".length);
  let b64: string;
  try {
    b64 = decodeURIComponent(raw);
  } catch {
    b64 = "";
  }
  const der = fromBase64(b64);
  if (!der || der.length === 0 || der.length > MAX_OCSP_REQUEST) {
    return problemResponse(problem(ProblemType.malformed, 400, "the path after /ocsp/ must be a base64 DER OCSP request"));
  }
  return answerOcsp(c.env, der);
});

async function serveBlob(bucket: R2Bucket, key: string, contentType: string, cacheControl: string): Promise<Response> {
  const obj = await bucket.get(key);
  if (!obj) return problemResponse(problem(ProblemType.about, 404, `${key} does not exist`, { title: "Not Found" }));
  return new Response(obj.body, { headers: { "content-type": contentType, "cache-control": cacheControl, etag: obj.httpEtag } });
}

revocation.get("/crl/:file{[0-9a-f]+\\.crl}", (c) =>
  serveBlob(c.env.BLOBS, `crl/${c.req.param("file")}`, "application/pkix-crl", "public, max-age=300"),
);

revocation.get("/ca/:file{[0-9a-f]+\\.der}", (c) =>
  serveBlob(c.env.BLOBS, `ca/${c.req.param("file")}`, "application/pkix-cert", "public, max-age=86400"),
);
