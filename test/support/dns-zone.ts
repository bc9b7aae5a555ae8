// The zone the DNS end-to-end tests and `npm run bench:dns` serve: one of each record kind real
// clients are asked about (A, AAAA, CNAME, wildcard, SRV, CAA, HTTPS, TXT), as RFC 1035 text
// that TrustChain's zone API and other DNS servers (knot, BIND) all load.

export const E2E_APEX = "clients.test.";

export const E2E_ZONE = `$ORIGIN clients.test.
$TTL 300
@            IN SOA   ns1 hostmaster 2026010101 3600 600 1209600 300
@            IN NS    ns1
@            IN CAA   0 issue "trustchain.test"
@            IN HTTPS 1 . alpn=h3,h2 ipv6hint=2001:db8::10
@            IN TXT   "v=spf1 -all"
ns1          IN AAAA  2001:db8::53
ns1          IN A     192.0.2.53
www          IN AAAA  2001:db8::10
www          IN A     192.0.2.10
alias        IN CNAME www
*.apps       IN AAAA  2001:db8::80
*.apps       IN TXT   "wildcard"
_doh._tcp    IN SRV   0 1 443 www
txt          IN TXT   "hello world" "second string"
`;
