// The JSON objects the ACME server returns (RFC 8555 §7.1) and the URLs that name them. Every
// URL is built on the origin the client used, so the JWS "url" a client signs (§6.4) is the one
// it was given.

import type { Account, Authorization, Challenge, Order } from "./store.ts";

export class AcmeUrls {
  constructor(readonly origin: string) {}
  get directory() { return `${this.origin}/acme/directory`; }
  get newNonce() { return `${this.origin}/acme/new-nonce`; }
  get newAccount() { return `${this.origin}/acme/new-account`; }
  get newOrder() { return `${this.origin}/acme/new-order`; }
  get revokeCert() { return `${this.origin}/acme/revoke-cert`; }
  get keyChange() { return `${this.origin}/acme/key-change`; }
  account(id: string) { return `${this.origin}/acme/account/${id}`; }
  orders(accountId: string) { return `${this.origin}/acme/account/${accountId}/orders`; }
  order(id: string) { return `${this.origin}/acme/order/${id}`; }
  finalize(id: string) { return `${this.origin}/acme/order/${id}/finalize`; }
  authz(id: string) { return `${this.origin}/acme/authz/${id}`; }
  challenge(id: string) { return `${this.origin}/acme/chall/${id}`; }
  certificate(serial: string) { return `${this.origin}/acme/cert/${serial}`; }
  /** RFC 8555 §7.4.2 alternate chain number `n` (1 = through the ML-DSA root's cross-certificate). */
  alternateChain(serial: string, n: number) { return `${this.origin}/acme/cert/${serial}/${n}`; }
  get renewalInfo() { return `${this.origin}/acme/renewal-info`; }
  /** The account id a `kid` names, or null when it is not one of our account URLs. */
  accountIdFromKid(kid: string): string | null {
    const prefix = `${this.origin}/acme/account/`;
    if (!kid.startsWith(prefix)) return null;
    const id = kid.slice(prefix.length);
    return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
  }
}

export interface DirectoryMeta {
  termsOfService: string;
  website: string;
  caaIdentities: string[];
  externalAccountRequired: boolean;
  /** draft-aaron-acme-profiles: profile name → description. */
  profiles: Record<string, string>;
}

/** §7.1.1 */
export function directoryJson(u: AcmeUrls, meta: DirectoryMeta) {
  return {
    newNonce: u.newNonce,
    newAccount: u.newAccount,
    newOrder: u.newOrder,
    revokeCert: u.revokeCert,
    keyChange: u.keyChange,
    renewalInfo: u.renewalInfo,
    meta,
  };
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();

/** §7.1.2 */
export function accountJson(u: AcmeUrls, a: Account) {
  return { status: a.status, contact: a.contact, termsOfServiceAgreed: true, orders: u.orders(a.id), createdAt: iso(a.createdAt) };
}

/** §7.1.3 */
export function orderJson(u: AcmeUrls, o: Order) {
  return {
    status: o.status,
    expires: iso(o.expires),
    identifiers: o.identifiers,
    authorizations: o.authorizations.map((id) => u.authz(id)),
    finalize: u.finalize(o.id),
    ...(o.certificateSerial && o.status === "valid" ? { certificate: u.certificate(o.certificateSerial) } : {}),
    ...(o.error ? { error: o.error } : {}),
    ...(o.replaces ? { replaces: o.replaces } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
  };
}

/** §7.1.5 */
export function challengeJson(u: AcmeUrls, c: Challenge) {
  return {
    type: c.type,
    url: u.challenge(c.id),
    status: c.status,
    token: c.token,
    ...(c.validated !== null ? { validated: iso(c.validated) } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}

/** §7.1.4: a valid authorization lists only the challenge that validated it. */
export function authzJson(u: AcmeUrls, a: Authorization) {
  const challenges = a.status === "valid" ? a.challenges.filter((c) => c.status === "valid") : a.challenges;
  return {
    identifier: a.identifier,
    status: a.status,
    expires: iso(a.expires),
    challenges: challenges.map((c) => challengeJson(u, c)),
    ...(a.wildcard ? { wildcard: true } : {}),
  };
}
