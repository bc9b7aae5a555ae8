// Hostile OCSP requests within the 4 KiB body limit: deep nesting, thousands of tiny elements,
// long request lists, a large requestorName, huge extensions, and random mutations of real
// requests. Every answer is an OCSP response (malformedRequest where the request is refused) or
// a 4xx problem document, never a 5xx; a real request keeps its successful answer.

import { BasicOCSPResponse, OCSPRequest, OCSPResponse, OCSPResponseStatus, Request, TBSRequest, id_pkix_ocsp_nonce } from "@peculiar/asn1-ocsp";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension } from "@peculiar/asn1-x509";
import { beforeAll, describe, expect, it } from "vitest";
import { type Bytes, toBase64, toBytes } from "../../src/encoding/bytes.ts";
import { TAG, bitString, oid, octetString, sequence, tlv, utf8String } from "../../src/encoding/der-writer.ts";
import { MAX_OCSP_ELEMENTS, MAX_OCSP_NONCE_OCTETS, MAX_REQUESTS_PER_OCSP } from "../../src/revocation/ocsp.ts";
import { caJson, derOf, ocspCertId } from "../support/ca-helpers.ts";
import { call } from "../support/worker-helpers.ts";

const MAX_BODY = 4096;
const NULL = Uint8Array.of(0x05, 0x00);

type Answer = { http: number; ocsp: OCSPResponseStatus | null };

async function answerOf(r: Response): Promise<Answer> {
  if (r.status === 200) {
    expect(r.headers.get("content-type")).toBe("application/ocsp-response");
    return { http: 200, ocsp: AsnConvert.parse(new Uint8Array(await r.arrayBuffer()), OCSPResponse).responseStatus };
  }
  expect(r.status).toBeGreaterThanOrEqual(400);
  expect(r.status).toBeLessThan(500);
  expect(r.headers.get("content-type")).toBe("application/problem+json");
  return { http: r.status, ocsp: null };
}

const post = async (der: Uint8Array): Promise<Answer> =>
  answerOf(await call("/ocsp", { method: "POST", body: der, headers: { "content-type": "application/ocsp-request" } }));
const get = async (der: Uint8Array): Promise<Answer> => answerOf(await call(`/ocsp/${encodeURIComponent(toBase64(der))}`));

const successful: Answer = { http: 200, ocsp: OCSPResponseStatus.successful };
const malformed: Answer = { http: 200, ocsp: OCSPResponseStatus.malformedRequest };

/** DER of Request { reqCert } for the issuing CA, one per serial. */
let requests: Bytes[] = [];
/** A real request: MAX_REQUESTS_PER_OCSP certificates and a 32-octet nonce. */
let legit: Bytes;
/** The same, signed (RFC 6960 §4.1.1 optionalSignature) and carrying a two-certificate chain. */
let signedLegit: Bytes;

/** OCSPRequest { TBSRequest { requestList, [2] requestExtensions? } } from raw parts. */
function ocspRequest(list: Uint8Array[], extensions?: Uint8Array[], before: Uint8Array[] = []): Bytes {
  const exts = extensions ? [tlv(0xa2, sequence(...extensions))] : [];
  return sequence(sequence(...before, sequence(...list), ...exts));
}

const tinyExtension = (): Bytes => sequence(oid("1.2.3"), octetString(new Uint8Array(0)));

function nested(depth: number, inner: Uint8Array = NULL): Uint8Array {
  let x = inner;
  for (let i = 0; i < depth; i++) x = sequence(x);
  return x;
}

/** The deepest nesting of `wrap` around `inner` that still fits the body limit. */
function deepest(wrap: (x: Uint8Array) => Uint8Array): Uint8Array {
  let depth = 64;
  while (wrap(nested(depth * 2)).length <= MAX_BODY) depth *= 2;
  for (let step = depth / 2; step >= 1; step /= 2) if (wrap(nested(depth + step)).length <= MAX_BODY) depth += step;
  return wrap(nested(depth));
}

beforeAll(async () => {
  const ca = await caJson();
  const issuing = derOf(ca.intermediates.find((i) => i.status === "current")!.pem);
  const ids = await Promise.all(Array.from({ length: 70 }, (_, i) => ocspCertId(issuing, (0x1000 + i).toString(16))));
  requests = ids.map((reqCert) => toBytes(AsnConvert.serialize(new Request({ reqCert }))));
  const nonce = new Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(AsnConvert.serialize(new OctetString(new Uint8Array(32).fill(7)))) });
  legit = toBytes(AsnConvert.serialize(new OCSPRequest({
    tbsRequest: new TBSRequest({ requestList: ids.slice(0, MAX_REQUESTS_PER_OCSP).map((reqCert) => new Request({ reqCert })), requestExtensions: [nonce] }),
  })));
  // The responder does not check request signatures (RFC 5019 §2.1.2 allows ignoring them), so
  // any signature bytes do; what matters is the size and shape of a signed request.
  const tbs = legit.subarray(legit[1]! & 0x80 ? 2 + (legit[1]! & 0x7f) : 2);
  const chain = sequence(issuing, derOf(ca.root.pem));
  signedLegit = sequence(tbs, tlv(0xa0, sequence(sequence(oid("1.2.840.10045.4.3.2")), bitString(new Uint8Array(72).fill(1)), tlv(0xa0, chain))));
});

describe("OCSP request limits", () => {
  it("answers a real request of the most certificates allowed, by POST and GET, signed or not", async () => {
    expect(await post(legit)).toEqual(successful);
    expect(await get(legit)).toEqual(successful);
    expect(signedLegit.length).toBeLessThanOrEqual(MAX_BODY);
    expect(await post(signedLegit)).toEqual(successful);
  });

  it("refuses requests of more elements than the limit with malformedRequest, and accepts them below it", async () => {
    // Each tiny extension is three elements: SEQUENCE, OID, OCTET STRING.
    const below = ocspRequest([requests[0]!], Array.from({ length: Math.floor((MAX_OCSP_ELEMENTS - 40) / 3) }, tinyExtension));
    const above = ocspRequest([requests[0]!], Array.from({ length: Math.ceil(MAX_OCSP_ELEMENTS / 3) + 1 }, tinyExtension));
    expect(above.length).toBeLessThanOrEqual(MAX_BODY);
    expect(await post(below)).toEqual(successful);
    expect(await post(above)).toEqual(malformed);
    expect(await get(above)).toEqual(malformed);
  });

  it("answers hostile structures within 4 KiB with malformedRequest", async () => {
    const hostile: Record<string, Uint8Array> = {
      "nesting as the whole request": deepest((x) => sequence(x)),
      "nesting inside a request entry": deepest((x) => ocspRequest([sequence(requests[0]!.subarray(2), x)])),
      "nesting inside an extension": deepest((x) => ocspRequest([requests[0]!], [x])),
      "two-byte elements in the extensions": ocspRequest([requests[0]!], Array.from({ length: 1900 }, () => NULL)),
      "two-byte elements in a request entry": ocspRequest([sequence(requests[0]!.subarray(2), tlv(0xa0, sequence(...Array.from({ length: 1900 }, () => NULL))))]),
      "one request past the most allowed": ocspRequest(requests.slice(0, MAX_REQUESTS_PER_OCSP + 1)),
      "as many requests as fit": ocspRequest(requests.slice(0, Math.floor((MAX_BODY - 16) / requests[0]!.length))),
      "a requestorName of hundreds of RDNs": ocspRequest([requests[0]!], undefined, [
        tlv(0xa1, tlv(0xa4, sequence(...Array.from({ length: 300 }, () => tlv(TAG.set, sequence(oid("2.5.4.3"), utf8String("a"))))))),
      ]),
      "an empty request list": ocspRequest([]),
      "an indefinite length": Uint8Array.of(0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00),
      "a length past the body": Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x30, 0x00),
    };
    for (const [what, der] of Object.entries(hostile)) {
      expect(der.length, what).toBeLessThanOrEqual(MAX_BODY);
      expect(await post(der), what).toEqual(malformed);
    }
  });

  it("ignores a huge unknown extension rather than failing (RFC 6960 §4.4: unrecognized non-critical extensions)", async () => {
    const huge = ocspRequest([requests[0]!], [sequence(oid("1.2.3.4"), octetString(octetString(new Uint8Array(3800).fill(0x41))))]);
    expect(huge.length).toBeLessThanOrEqual(MAX_BODY);
    expect(await post(huge)).toEqual(successful);
  });

  it("echoes nonces of 1 to 128 octets and refuses longer or empty ones with malformedRequest (RFC 9654)", async () => {
    const withNonce = (value: Uint8Array) => ocspRequest([requests[0]!], [sequence(oid(id_pkix_ocsp_nonce), octetString(value))]);
    for (const n of [1, 32, MAX_OCSP_NONCE_OCTETS]) {
      const wrapped = octetString(new Uint8Array(n).fill(n));
      const r = await call("/ocsp", { method: "POST", body: withNonce(wrapped), headers: { "content-type": "application/ocsp-request" } });
      const res = AsnConvert.parse(new Uint8Array(await r.arrayBuffer()), OCSPResponse);
      expect(res.responseStatus, `${n} octets`).toBe(OCSPResponseStatus.successful);
      const basic = AsnConvert.parse(res.responseBytes!.response, BasicOCSPResponse);
      const echoed = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
      expect(toBytes(echoed!.extnValue.buffer), `${n} octets echoed`).toEqual(wrapped);
    }
    expect(await post(withNonce(octetString(new Uint8Array(MAX_OCSP_NONCE_OCTETS + 1))))).toEqual(malformed);
    expect(await post(withNonce(octetString(new Uint8Array(0))))).toEqual(malformed);
    // A bare nonce (RFC 6960's looser form) counts by its own length.
    expect(await post(withNonce(new Uint8Array(16).fill(9)))).toEqual(successful);
    expect(await post(withNonce(new Uint8Array(3000).fill(9)))).toEqual(malformed);
  });

  it("answers random mutations of real requests with an OCSP response or a 4xx, never a 5xx", async () => {
    let s = 20261204;
    const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
    const seeds = [legit, ocspRequest([requests[0]!]), ocspRequest([requests[0]!], [tinyExtension()])];
    for (let i = 0; i < 300; i++) {
      const b = seeds[i % seeds.length]!.slice();
      for (let k = 1 + Math.floor(r() * 4); k > 0; k--) b[Math.floor(r() * b.length)] = [0x00, 0x30, 0x80, 0x84, 0xff, Math.floor(r() * 256)][Math.floor(r() * 6)]!;
      const a = i % 4 === 0 ? await get(b) : await post(b);
      expect(a.http === 200 || a.ocsp === null, `mutation ${i}`).toBe(true);
    }
  });
});
