// @peculiar/x509 needs reflect-metadata loaded before it, and a WebCrypto provider. Import the
// library through this module only, so both are always in place.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

export { x509 };
