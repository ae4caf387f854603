import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export interface AddressedRequest {
  socket: { remoteAddress?: string | undefined };
  headers: IncomingHttpHeaders;
}

export type ClientAddressResolver = (request: AddressedRequest) => string;

/**
 * The header nginx adds to every request it passes to the gate, carrying a secret that only nginx's
 * and the gate's configuration files hold (`proxySecretFile`). It proves the request came through
 * nginx, so its X-Real-IP is nginx's: a local process can reach the gate's loopback port too, but
 * cannot know the secret.
 */
export const PROXY_SECRET_HEADER = 'x-reading-station-proxy';

/**
 * The client's address for logs, the audit trail and login throttling: nginx's X-Real-IP when the
 * peer is one of `trustedProxies` (addresses or CIDR ranges) and — when the gate has a proxy secret —
 * the request carries that secret; otherwise the socket's own peer address. X-Forwarded-For is never
 * read: any client can send it, and only nginx's own X-Real-IP is known to be set by nginx.
 */
export function createClientAddressResolver(trustedProxies: readonly string[], proxySecret?: string): ClientAddressResolver {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) trusted.addAddress(address, family);
    else trusted.addSubnet(address, Number(prefix), family);
  }
  const secret = proxySecret === undefined ? undefined : Buffer.from(proxySecret);
  const fromProxy = (headers: IncomingHttpHeaders): boolean => {
    if (secret === undefined) return true;
    const presented = headers[PROXY_SECRET_HEADER];
    if (typeof presented !== 'string') return false;
    const given = Buffer.from(presented);
    return given.length === secret.length && timingSafeEqual(given, secret);
  };
  return (request) => {
    const peer = unmapIpv4(request.socket.remoteAddress);
    if (peer === undefined) return 'unknown';
    if (!trusted.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')) return peer;
    if (!fromProxy(request.headers)) return peer;
    const realIp = request.headers['x-real-ip'];
    const candidate = typeof realIp === 'string' ? unmapIpv4(realIp.trim()) : undefined;
    return candidate !== undefined && isIP(candidate) !== 0 ? candidate : peer;
  };
}

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; compare and record them as IPv4.
function unmapIpv4(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}
