/**
 * Why an HTTP request got no answer at all, read from the error and its causes: shared by the
 * DigitalOcean and Spaces clients so both name the same causes.
 */

export type TransportReason = 'timeout' | 'dns' | 'tls' | 'network';

const TIMEOUT_CODES = ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'];
const DNS_CODES = ['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME'];
const NETWORK_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'];
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH|ERR_OSSL_)/;

/**
 * Why a request got no HTTP answer, from the error or its causes (undici and Node wrap the
 * socket's error): a timeout, a name that does not resolve, a TLS failure, or the network.
 */
export function transportReason(error: unknown): TransportReason {
  const chain: { name?: string; code?: string }[] = [];
  for (let e = error as { name?: string; code?: string; cause?: unknown } | undefined; e && chain.length < 5; e = e.cause as typeof e) chain.push(e);
  // Codes first: the AWS SDK names a reset socket "TimeoutError" although its code says ECONNRESET.
  for (const { code = '' } of chain) {
    if (DNS_CODES.includes(code)) return 'dns';
    if (TLS_CODES.test(code)) return 'tls';
    if (NETWORK_CODES.includes(code)) return 'network';
    if (TIMEOUT_CODES.includes(code)) return 'timeout';
  }
  return chain.some((e) => e.name === 'TimeoutError' || e.name === 'AbortError') ? 'timeout' : 'network';
}
