import { describe, expect, it } from 'vitest';
import { parseWrkOutput } from './wrk.ts';

describe('parseWrkOutput', () => {
  const line =
    'WRK_JSON {"requests":1000,"durationUs":2000000,"bytes":209715200,' +
    '"errors":{"connect":0,"read":1,"write":0,"status":2,"timeout":0},' +
    '"latencyUs":{"min":100,"mean":1500.5,"max":90000,"stdev":10.0,"p50":1200,"p90":2500,"p99":8000,"p999":30000}}';

  it('turns the report line into rates, sizes and milliseconds', () => {
    const result = parseWrkOutput(`Running 2s test @ http://x\n${line}\n`);
    expect(result).toMatchObject({
      requests: 1000,
      durationS: 2,
      requestsPerSecond: 500,
      mibPerSecond: 100,
      bytesPerRequest: 209715,
      errors: 3,
      latencyMs: { p50: 1.2, p90: 2.5, p99: 8, p999: 30, max: 90 },
    });
  });

  it('says so when wrk printed no report', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no summary/);
  });
});
