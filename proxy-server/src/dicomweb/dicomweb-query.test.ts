import { describe, expect, it } from 'vitest';
import { parseDicomWebPath, type DicomWebRoute } from './dicomweb-path.ts';
import { encodeQuery, encodeQueryComponent, parseDicomWebQuery } from './dicomweb-query.ts';

const S = '1.2.826.0.1.3680043.8.498.1';
const SE = '1.2.826.0.1.3680043.8.498.2';
const I = '1.2.826.0.1.3680043.8.498.3';

function route(path: string): DicomWebRoute {
  const result = parseDicomWebPath(path);
  if (!result.ok) throw new Error(result.reason);
  return result.route;
}

const studies = route('studies');
const frames = route(`studies/${S}/series/${SE}/instances/${I}/frames/1`);
const metadata = route(`studies/${S}/metadata`);
const rendered = route(`studies/${S}/series/${SE}/instances/${I}/rendered`);

describe('parseDicomWebQuery', () => {
  it('accepts QIDO matching, paging and includefield on searches', () => {
    const result = parseDicomWebQuery(
      studies,
      'PatientName=Doe%5EJo*&StudyDate=20240101-20241231&limit=25&offset=0&includefield=00081030,ModalitiesInStudy&0020000d=1.2.3,1.2.4',
    );
    expect(result).toEqual({
      ok: true,
      params: [
        ['PatientName', 'Doe^Jo*'],
        ['StudyDate', '20240101-20241231'],
        ['limit', '25'],
        ['offset', '0'],
        ['includefield', '00081030,ModalitiesInStudy'],
        ['0020000d', '1.2.3,1.2.4'],
      ],
    });
  });

  it('accepts rendering parameters on rendered resources only', () => {
    expect(parseDicomWebQuery(rendered, 'quality=90&window=40,400,linear&viewport=512,512').ok).toBe(true);
    expect(parseDicomWebQuery(frames, 'quality=90').ok).toBe(false);
  });

  it.each([
    ['unknown parameter on a search', studies, 'foo=bar'],
    ['any parameter on frames', frames, 'transfer-syntax=1.2.840.10008.1.2.4.201'],
    ['any parameter on metadata', metadata, 'includefield=all'],
    ['raw control character', studies, 'PatientName=a\u0001b'],
    ['encoded NUL', studies, 'PatientName=a%00b'],
    ['encoded CR LF', studies, 'PatientName=a%0d%0aAuthorization:%20x'],
    ['malformed escape', studies, 'PatientName=%E0%A4%A'],
    ['over-long value', studies, `PatientName=${'a'.repeat(257)}`],
    ['non-UID in a UID list', studies, 'StudyInstanceUID=1.2.3,abc'],
    ['wildcard in a UID', studies, 'StudyInstanceUID=1.2.*'],
    ['bad limit', studies, 'limit=-1'],
    ['bad fuzzymatching', studies, 'fuzzymatching=yes'],
    ['bad includefield', studies, 'includefield=00081030;drop'],
    ['bad quality', rendered, 'quality=101'],
    ['too many parameters', studies, Array.from({ length: 65 }, () => 'limit=1').join('&')],
  ])('refuses %s', (_name, r, query) => {
    const result = parseDicomWebQuery(r, query);
    expect(result.ok).toBe(false);
  });
});

describe('encodeQueryComponent', () => {
  it('leaves no space, control character or raw non-ASCII byte', () => {
    const nasty = 'a b\r\n\u0000\t%zz"<>\\é日本\u007f?&=#+/';
    const encoded = encodeQueryComponent(nasty);
    expect(encoded).toMatch(/^[A-Za-z0-9\-._~,^*%]*$/);
    expect(decodeURIComponent(encoded)).toBe(nasty);
  });

  it('keeps DICOM matching characters readable', () => {
    expect(encodeQueryComponent('Doe^J*,1.2.3')).toBe('Doe^J*,1.2.3');
  });

  it('joins parameters in order', () => {
    expect(encodeQuery([['PatientName', 'O Brien'], ['limit', '5']])).toBe('PatientName=O%20Brien&limit=5');
  });
});
