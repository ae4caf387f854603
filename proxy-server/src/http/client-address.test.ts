import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClientAddressResolver } from './client-address.ts';

function request(remoteAddress: string | undefined, realIp?: string | string[]) {
  return { socket: { remoteAddress }, headers: realIp === undefined ? {} : { 'x-real-ip': realIp } };
}

describe('createClientAddressResolver', () => {
  const resolve = createClientAddressResolver(['127.0.0.1', '::1', '10.20.0.0/16', 'fd00::/8']);

  it('takes X-Real-IP from trusted peers, by address or range, IPv4 or IPv6', () => {
    expect(resolve(request('127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(resolve(request('::1', '2001:db8::7'))).toBe('2001:db8::7');
    expect(resolve(request('10.20.3.4', '203.0.113.7'))).toBe('203.0.113.7');
    expect(resolve(request('fd12::1', '203.0.113.7'))).toBe('203.0.113.7');
  });

  it('treats IPv4-mapped IPv6 peers (dual-stack sockets) as IPv4', () => {
    expect(resolve(request('::ffff:127.0.0.1', '203.0.113.7'))).toBe('203.0.113.7');
    expect(resolve(request('::ffff:198.51.100.2', '203.0.113.7'))).toBe('198.51.100.2');
  });

  it('ignores X-Real-IP from anyone else', () => {
    expect(resolve(request('10.21.0.1', '203.0.113.7'))).toBe('10.21.0.1');
    expect(resolve(request('198.51.100.2', '127.0.0.1'))).toBe('198.51.100.2');
  });

  it('falls back to the peer when X-Real-IP is missing, repeated or not an address', () => {
    expect(resolve(request('127.0.0.1'))).toBe('127.0.0.1');
    expect(resolve(request('127.0.0.1', ['1.1.1.1', '2.2.2.2']))).toBe('127.0.0.1');
    expect(resolve(request('127.0.0.1', 'evil\nline'))).toBe('127.0.0.1');
    expect(resolve(request(undefined, '1.1.1.1'))).toBe('unknown');
  });

  it('trusts nobody when the list is empty', () => {
    expect(createClientAddressResolver([])(request('127.0.0.1', '203.0.113.7'))).toBe('127.0.0.1');
  });
});

describe('createClientAddressResolver with a proxy secret', () => {
  const secret = randomBytes(32).toString('hex');
  const resolve = createClientAddressResolver(['127.0.0.1'], secret);
  const from = (headers: Record<string, string>) => ({ socket: { remoteAddress: '127.0.0.1' }, headers });

  it('takes X-Real-IP only from a request that carries the secret', () => {
    expect(resolve(from({ 'x-real-ip': '203.0.113.9', 'x-reading-station-proxy': secret }))).toBe('203.0.113.9');
  });

  it('ignores X-Real-IP from a local process without the secret, or with a wrong one', () => {
    expect(resolve(from({ 'x-real-ip': '203.0.113.9' }))).toBe('127.0.0.1');
    expect(resolve(from({ 'x-real-ip': '203.0.113.9', 'x-reading-station-proxy': `${secret}x` }))).toBe('127.0.0.1');
    // Same length, first character changed (a random secret need not contain any given letter).
    const wrong = `${secret.startsWith('0') ? '1' : '0'}${secret.slice(1)}`;
    expect(resolve(from({ 'x-real-ip': '203.0.113.9', 'x-reading-station-proxy': wrong }))).toBe('127.0.0.1');
  });
});
