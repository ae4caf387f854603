import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderNginxConfiguration, stackLayout } from '@reading-station/stack';
import { VARIANT_PREFIX, addBenchLocations, blockAt } from './bench-nginx.ts';

function productConfig(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-nginx-'));
  return renderNginxConfiguration({
    layout: stackLayout(dir),
    listenAddress: '127.0.0.1',
    httpPort: 38090,
    opsPort: 38091,
    gatePort: 33001,
    orthancPort: 38042,
    orthancBasicAuth: 'dXNlcjpwYXNz',
    rendererDist: path.join(dir, 'no-dist'),
    corsOrigins: ['app://reading-station'],
  });
}

describe('addBenchLocations', () => {
  const product = productConfig();
  const bench = addBenchLocations(product, 38092);
  const locationBlock = (config: string, header: string): string => blockAt(config, config.indexOf(header));

  it('adds a public copy of the internal Orthanc location, identical but for `internal;`', () => {
    const internal = locationBlock(bench, 'location /internal-orthanc/dicom-web/ {');
    const direct = locationBlock(bench, `location ${VARIANT_PREFIX.direct} {`);
    expect(internal).toContain('internal;');
    expect(direct).not.toMatch(/^\s*internal;/m);
    const body = (block: string, header: string): string =>
      block.replace(header, '').replace(/^\s*internal;$/m, '').replace(/\s+/g, ' ');
    expect(body(direct, `location ${VARIANT_PREFIX.direct} {`)).toBe(body(internal, 'location /internal-orthanc/dicom-web/ {'));
  });

  it('lets the cache benchmark bypass the cached location with its header, and only there', () => {
    const cached = bench.slice(bench.indexOf('location ~ "^/internal-orthanc/cached/'), bench.indexOf('location /internal-orthanc/ {'));
    expect(cached).toMatch(/proxy_cache rs_dicomweb;\n.*\n\s*proxy_cache_bypass \$http_x_bench_no_cache;\n\s*proxy_no_cache \$http_x_bench_no_cache;/);
    expect(bench.match(/proxy_cache_bypass/g)).toHaveLength(1);
    expect(product).not.toContain('x_bench');
  });

  it('routes the pipe location to the baseline proxy upstream', () => {
    expect(locationBlock(bench, `location ${VARIANT_PREFIX.pipe} {`)).toContain('proxy_pass http://bench_pipe_proxy/dicom-web/;');
    expect(locationBlock(bench, 'upstream bench_pipe_proxy {')).toContain('server 127.0.0.1:38092;');
  });

  it('leaves everything of the product configuration in place', () => {
    const removed = bench
      .replace(/^\s*# Bench only.*$/m, '')
      .replace(locationBlock(bench, `location ${VARIANT_PREFIX.direct} {`), '')
      .replace(locationBlock(bench, `location ${VARIANT_PREFIX.pipe} {`), '')
      .replace(locationBlock(bench, 'upstream bench_pipe_proxy {'), '')
      .replace(/\n\s*# Bench only: the uncached variant.*\n\s*proxy_cache_bypass .*;\n\s*proxy_no_cache .*;/, '');
    expect(removed.replace(/\s+/g, ' ')).toBe(product.replace(/\s+/g, ' '));
  });

  it('refuses a configuration without exactly one internal Orthanc location', () => {
    expect(() => addBenchLocations('http { server { } }', 38092)).toThrow(/exactly one/);
  });
});
