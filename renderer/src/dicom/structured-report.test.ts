import { describe, expect, it } from 'vitest';
import type { DicomJsonObject } from './dicom-json.ts';
import { structuredReportLines } from './structured-report.ts';

const seq = (items: DicomJsonObject[]) => ({ vr: 'SQ', Value: items });
const code = (meaning: string) => seq([{ '00080100': { vr: 'SH', Value: ['x'] }, '00080104': { vr: 'LO', Value: [meaning] } }]);

describe('structured report text', () => {
  it('lists concept names and values, indented by depth', () => {
    const report: DicomJsonObject = {
      '0040A040': { vr: 'CS', Value: ['CONTAINER'] },
      '0040A043': code('Chest X-ray report'),
      '0040A730': seq([
        { '0040A040': { vr: 'CS', Value: ['TEXT'] }, '0040A043': code('Finding'), '0040A160': { vr: 'UT', Value: ['<b>No acute disease</b>'] } },
        {
          '0040A040': { vr: 'CS', Value: ['NUM'] },
          '0040A043': code('Diameter'),
          '0040A300': seq([{ '0040A30A': { vr: 'DS', Value: [12.5] }, '004008EA': code('mm') }]),
          '0040A730': seq([{ '0040A040': { vr: 'CS', Value: ['CODE'] }, '0040A043': code('Site'), '0040A168': code('Right lung') }]),
        },
      ]),
    };
    expect(structuredReportLines(report)).toEqual(['Chest X-ray report', '  Finding: <b>No acute disease</b>', '  Diameter: 12.5 mm', '    Site: Right lung']);
  });
});
