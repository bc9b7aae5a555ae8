#!/usr/bin/python3
# DoH queries with dnspython (Debian python3-dnspython): dns.query.https over HTTP/1.1, straight
# to the Worker. Usage: doh_query.py <url> <get|post> '<json list of [name, type]>'.
# Prints one JSON object per query: rcode, flags, and the sections as "name TTL class type rdata".
import json
import sys

import dns.flags
import dns.message
import dns.query
import dns.rcode

url, method, queries = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
out = []
for name, rdtype in queries:
    q = dns.message.make_query(name, rdtype)
    r = dns.query.https(q, url, post=(method == "post"), timeout=20)
    if r.id != q.id:
        raise SystemExit(f"{name} {rdtype}: answer id {r.id} != query id {q.id}")
    out.append({
        "name": name,
        "type": rdtype,
        "rcode": dns.rcode.to_text(r.rcode()),
        "flags": dns.flags.to_text(r.flags).split(),
        "answer": [line for rrset in r.answer for line in rrset.to_text().splitlines()],
        "authority": [line for rrset in r.authority for line in rrset.to_text().splitlines()],
    })
print(json.dumps(out))
