// Where relying parties fetch what a certificate points at (AIA and CRL distribution point).

export interface CaUrls {
  ocsp: string;
  caIssuers(issuerId: string): string;
  crl(issuerId: string): string;
}

export function caUrls(publicUrl: string): CaUrls {
  const base = publicUrl.replace(/\/+$/, "");
  return {
    ocsp: `${base}/ocsp`,
    caIssuers: (id) => `${base}/ca/${id}.der`,
    crl: (id) => `${base}/crl/${id}.crl`,
  };
}
