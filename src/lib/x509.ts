/**
 * Names in the certificates podlab makes with openssl (the lab's API server, the ingress
 * controller's CA and leaves). TLS checks a certificate's subjectAltName, not its commonName; but
 * X.509 bounds a commonName to 64 characters (RFC 5280, ub-common-name) and openssl refuses a
 * longer one, so a long lab name or host must not make `up` fail.
 */
export const CN_MAX = 64;

/** `text` as a commonName: itself when it fits, else cut to 64 characters, ending in "...". */
export function commonName(text: string): string {
  return text.length <= CN_MAX ? text : `${text.slice(0, CN_MAX - 3)}...`;
}
