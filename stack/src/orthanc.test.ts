import { describe, expect, it } from 'vitest';
import { dicomServerConfiguration, isSupportedOrthancVersion, parseOrthancVersion } from './orthanc.ts';

describe('Orthanc version check', () => {
  it('reads the version Orthanc prints', () => {
    expect(parseOrthancVersion('Orthanc 1.13.0\nCopyright (C) 2012-2016 ...')).toEqual([1, 13, 0]);
    expect(parseOrthancVersion('/usr/sbin/Orthanc 1.12.7\n')).toEqual([1, 12, 7]);
    expect(parseOrthancVersion('something else')).toBeUndefined();
  });

  it('accepts 1.13 and later, refuses what cannot serve HTJ2K frames', () => {
    expect(isSupportedOrthancVersion([1, 13, 0])).toBe(true);
    expect(isSupportedOrthancVersion([1, 13, 1])).toBe(true);
    expect(isSupportedOrthancVersion([1, 14, 0])).toBe(true);
    expect(isSupportedOrthancVersion([2, 0, 0])).toBe(true);
    expect(isSupportedOrthancVersion([1, 12, 7])).toBe(false);
    expect(isSupportedOrthancVersion([1, 10, 1])).toBe(false);
    expect(isSupportedOrthancVersion([0, 99, 99])).toBe(false);
  });
});

describe("Orthanc's DICOM server", () => {
  const keys = dicomServerConfiguration({
    port: 14242,
    aet: 'READING_STATION',
    modalities: [{ aet: 'DEMO_MODALITY', host: '127.0.0.1' }, { aet: 'CT_ROOM_2', host: '10.1.2.3' }],
    stableAgeSeconds: 3,
  });

  it('refuses unknown callers at association: nothing is allowed by default', () => {
    expect(keys).toMatchObject({
      DicomServerEnabled: true,
      DicomPort: 14242,
      DicomAet: 'READING_STATION',
      DicomCheckCalledAet: true,
      DicomCheckModalityHost: true,
      DicomModalitiesInDatabase: false,
      StableAge: 3,
    });
    const always = Object.entries(keys).filter(([key]) => key.startsWith('DicomAlwaysAllow'));
    expect(always.map(([key]) => key).sort()).toEqual(
      ['DicomAlwaysAllowEcho', 'DicomAlwaysAllowFind', 'DicomAlwaysAllowFindWorklist', 'DicomAlwaysAllowGet', 'DicomAlwaysAllowMove', 'DicomAlwaysAllowStore'],
    );
    expect(always.every(([, value]) => value === false)).toBe(true);
  });

  it('lets each configured modality echo and store from its address, and nothing else', () => {
    const modalities = Object.values(keys.DicomModalities) as Array<Record<string, unknown>>;
    expect(modalities.map((m) => [m.AET, m.Host])).toEqual([
      ['DEMO_MODALITY', '127.0.0.1'],
      ['CT_ROOM_2', '10.1.2.3'],
    ]);
    for (const modality of modalities) {
      expect(modality).toMatchObject({ AllowEcho: true, AllowStore: true, AllowFind: false, AllowFindWorklist: false, AllowGet: false, AllowMove: false, AllowStorageCommitment: false });
    }
  });
});
