#!/usr/bin/python3
# A classic-DNS (UDP) relay to a DoH endpoint that TAMPERS with one answer, for showing that a
# validator (delv) rejects it: queries go on unchanged over DoH (dnspython dns.query.https); in
# answers for <tamper-name> every A record is rewritten to 192.0.2.254, its RRSIG kept.
# Usage: dns_tamper_relay.py <port> <doh-url> <tamper-name>; prints "ready" once listening.
import socket
import sys

import dns.message
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

port, url, target = int(sys.argv[1]), sys.argv[2], dns.name.from_text(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", port))
print("ready", flush=True)
while True:
    data, peer = sock.recvfrom(65535)
    try:
        q = dns.message.from_wire(data)
        r = dns.query.https(q, url, timeout=20)
        for i, rrset in enumerate(r.answer):
            if rrset.name == target and rrset.rdtype == dns.rdatatype.A:
                forged = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A, "192.0.2.254")
                r.answer[i] = dns.rrset.from_rdata_list(rrset.name, rrset.ttl, [forged])
        sock.sendto(r.to_wire(max_size=65535), peer)
    except Exception as e:  # a relay for one test: report and keep serving
        print(f"relay error: {e}", file=sys.stderr, flush=True)
