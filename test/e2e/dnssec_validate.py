#!/usr/bin/python3
# An independent DNSSEC validator for TrustChain's answers: dnspython's dns.dnssec.validate
# (Debian python3-dnspython + python3-cryptography) over DoH (dns.query.https, DO bit set).
#
# Usage: dnssec_validate.py <doh-url> <zone> '<DNSKEY rdata from the zone API>' '<json cases>'
# where a case is {"name", "type", "expect": "positive" | "nxdomain" | "nodata", "tamper"?: bool}.
# The trust anchor is the DNSKEY the zone API published (as a parent would via DS), never the
# one fetched over DoH: the DNSKEY RRset served over DoH must itself validate under it.
# Prints a JSON object per case: {"ok": bool, "detail": str, ...}. A tampered case modifies an
# RDATA (positive: the first record; denial: the NSEC bitmap and the SOA) before validating,
# and is "ok" only when validation then FAILS.
import json
import sys

import dns.dnssec
import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rcode
import dns.rrset

url, zone_text, anchor_text, cases = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
zone = dns.name.from_text(zone_text)
anchor = dns.rrset.from_text(zone, 3600, "IN", "DNSKEY", anchor_text)
keys = {zone: anchor}
NXNAME = 128  # RFC 9824 pseudo-type


def ask(name, rdtype):
    q = dns.message.make_query(name, rdtype, want_dnssec=True)
    return dns.query.https(q, url, timeout=20)


def nsec_types(rdata):
    types = set()
    for window, bitmap in rdata.windows:
        for i, byte in enumerate(bitmap):
            for bit in range(8):
                if byte & (0x80 >> bit):
                    types.add(window * 256 + i * 8 + bit)
    return types


def signed_rrsets(section):
    """[(rrset, rrsig)] for every RRset in the section; raises when one has no RRSIG."""
    sigs = {(r.name, r.covers): r for r in section if r.rdtype == dns.rdatatype.RRSIG}
    pairs = []
    for r in section:
        if r.rdtype == dns.rdatatype.RRSIG:
            continue
        sig = sigs.get((r.name, r.rdtype))
        if sig is None:
            raise dns.dnssec.ValidationFailure(f"{r.name} {dns.rdatatype.to_text(r.rdtype)} has no RRSIG")
        pairs.append((r, sig))
    return pairs


def replace_first(rrset, text):
    """A copy of the RRset whose first record's RDATA is `text` (the rest unchanged)."""
    rdatas = [dns.rdata.from_text(rrset.rdclass, rrset.rdtype, text)] + list(rrset)[1:]
    return dns.rrset.from_rdata_list(rrset.name, rrset.ttl, rdatas)


def tamper(rrset):
    t = rrset.rdtype
    first = list(rrset)[0]
    if t == dns.rdatatype.A:
        return replace_first(rrset, "192.0.2.254")
    if t == dns.rdatatype.AAAA:
        return replace_first(rrset, "2001:db8::dead")
    if t == dns.rdatatype.NSEC:
        # Claim the name also holds an A RRset (or, for NXNAME, drop the NXNAME bit).
        types = nsec_types(first) ^ {dns.rdatatype.A}
        text = f"{first.next} " + " ".join(dns.rdatatype.to_text(x) for x in sorted(types))
        return replace_first(rrset, text)
    if t == dns.rdatatype.SOA:
        return replace_first(rrset, first.to_text().replace(str(first.serial), str(first.serial + 1), 1))
    if t == dns.rdatatype.TXT:
        return replace_first(rrset, '"tampered"')
    if t in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        return replace_first(rrset, "tampered.example.")
    # SRV, CAA, HTTPS, MX, TLSA, ...: the first RDATA octet is a number (priority, flags, usage);
    # flip a bit of it, which keeps the RDATA well-formed.
    wire = bytearray(first.to_digestable())
    wire[0] ^= 0x01
    rd = dns.rdata.from_wire(rrset.rdclass, rrset.rdtype, bytes(wire), 0, len(wire))
    return dns.rrset.from_rdata_list(rrset.name, rrset.ttl, [rd] + list(rrset)[1:])


def validate_all(pairs):
    for rrset, sig in pairs:
        dns.dnssec.validate(rrset, sig, keys)


def run(case):
    name, rdtype, expect = case["name"], case["type"], case["expect"]
    qname = dns.name.from_text(name)
    r = ask(name, rdtype)
    res = {"name": name, "type": rdtype, "expect": expect, "tamper": bool(case.get("tamper")),
           "rcode": dns.rcode.to_text(r.rcode())}
    if expect == "positive":
        section = r.answer
        if not any(x.rdtype == dns.rdatatype.from_text(rdtype) for x in section):
            return {**res, "ok": False, "detail": f"no {rdtype} in the answer: {r}"}
    else:
        section = r.authority
        nsec = [x for x in section if x.rdtype == dns.rdatatype.NSEC]
        soa = [x for x in section if x.rdtype == dns.rdatatype.SOA]
        if r.answer or len(nsec) != 1 or len(soa) != 1:
            return {**res, "ok": False, "detail": f"not a compact denial (one SOA, one NSEC): {r}"}
        n = nsec[0]
        types = nsec_types(list(n)[0])
        # RFC 9824 §3: the NSEC is at the query name, its next name is the immediate successor,
        # and its bitmap denies the asked type; NXNAME marks a name that does not exist.
        checks = [
            (n.name == qname, f"NSEC owner {n.name} is not {qname}"),
            (list(n)[0].next == dns.name.Name((b"\x00",) + qname.labels), f"NSEC next {list(n)[0].next} is not \\000.{qname}"),
            (dns.rdatatype.from_text(rdtype) not in types, f"the NSEC bitmap lists {rdtype}"),
            ((NXNAME in types) == (expect == "nxdomain"), f"NXNAME in the bitmap is {NXNAME in types} for {expect}"),
        ]
        for good, why in checks:
            if not good:
                return {**res, "ok": False, "detail": why}
        res["nsec_types"] = sorted(dns.rdatatype.to_text(t) for t in types)
    try:
        pairs = signed_rrsets(section)
    except dns.dnssec.ValidationFailure as e:
        return {**res, "ok": False, "detail": str(e)}
    res["rrsets"] = [f"{x.name} {dns.rdatatype.to_text(x.rdtype)}" for x, _ in pairs]
    if case.get("tamper"):
        failures = []
        for i in range(len(pairs)):
            changed = [(tamper(x), s) if j == i else (x, s) for j, (x, s) in enumerate(pairs)]
            try:
                validate_all(changed)
                return {**res, "ok": False, "detail": f"a tampered {changed[i][0].to_text()} still validated"}
            except dns.dnssec.ValidationFailure as e:
                failures.append(f"{dns.rdatatype.to_text(pairs[i][0].rdtype)}: {e}")
        return {**res, "ok": True, "detail": "; ".join(failures)}
    try:
        validate_all(pairs)
    except dns.dnssec.ValidationFailure as e:
        return {**res, "ok": False, "detail": f"validation failed: {e}"}
    return {**res, "ok": True, "detail": "validated"}


out = []
# The DNSKEY RRset served over DoH must be signed by (and contain) the anchored key.
r = ask(zone_text, "DNSKEY")
dnskey = [x for x in r.answer if x.rdtype == dns.rdatatype.DNSKEY]
try:
    if not dnskey or not set(anchor).issubset(set(dnskey[0])):
        raise dns.dnssec.ValidationFailure(f"the DNSKEY RRset over DoH does not hold the anchor: {r}")
    validate_all(signed_rrsets(r.answer))
    out.append({"name": zone_text, "type": "DNSKEY", "expect": "positive", "tamper": False, "ok": True, "detail": "validated"})
except dns.dnssec.ValidationFailure as e:
    out.append({"name": zone_text, "type": "DNSKEY", "expect": "positive", "tamper": False, "ok": False, "detail": str(e)})
out.extend(run(c) for c in cases)
print(json.dumps(out))
