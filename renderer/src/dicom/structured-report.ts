/**
 * A structured report's content tree (PS3.3 C.17.3) as plain, indented lines of text: concept
 * name, then the value by its type. Rendered by React as text, never as markup.
 */
import { numberValue, sequenceItems, stringValue, type DicomJsonObject } from './dicom-json.ts';
import { formatPersonName } from './dicom-format.ts';

const T = {
  ConceptNameCodeSequence: '0040A043',
  CodeMeaning: '00080104',
  CodeValue: '00080100',
  ValueType: '0040A040',
  ContentSequence: '0040A730',
  TextValue: '0040A160',
  ConceptCodeSequence: '0040A168',
  MeasuredValueSequence: '0040A300',
  NumericValue: '0040A30A',
  MeasurementUnitsCodeSequence: '004008EA',
  DateTime: '0040A120',
  Date: '0040A121',
  Time: '0040A122',
  PersonName: '0040A123',
  UID: '0040A124',
} as const;

const MAX_LINES = 2000;

function meaningOf(item: DicomJsonObject, sequence: string): string {
  const code = sequenceItems(item, sequence)[0];
  return code ? (stringValue(code, T.CodeMeaning) ?? stringValue(code, T.CodeValue) ?? '') : '';
}

function valueOf(item: DicomJsonObject): string {
  switch (stringValue(item, T.ValueType)) {
    case 'TEXT':
      return stringValue(item, T.TextValue) ?? '';
    case 'CODE':
      return meaningOf(item, T.ConceptCodeSequence);
    case 'NUM': {
      const measured = sequenceItems(item, T.MeasuredValueSequence)[0];
      if (!measured) return '';
      const value = numberValue(measured, T.NumericValue);
      const units = meaningOf(measured, T.MeasurementUnitsCodeSequence);
      return [value ?? stringValue(measured, T.NumericValue) ?? '', units].filter((v) => v !== '').join(' ');
    }
    case 'DATETIME':
      return stringValue(item, T.DateTime) ?? '';
    case 'DATE':
      return stringValue(item, T.Date) ?? '';
    case 'TIME':
      return stringValue(item, T.Time) ?? '';
    case 'PNAME':
      return formatPersonName(stringValue(item, T.PersonName));
    case 'UIDREF':
      return stringValue(item, T.UID) ?? '';
    default:
      return '';
  }
}

/** The report's lines, each indented two spaces per level; empty when it has no content. */
export function structuredReportLines(root: DicomJsonObject): string[] {
  const lines: string[] = [];
  const title = meaningOf(root, T.ConceptNameCodeSequence);
  if (title) lines.push(title);
  const walk = (items: DicomJsonObject[], depth: number): void => {
    for (const item of items) {
      if (lines.length >= MAX_LINES) return;
      const name = meaningOf(item, T.ConceptNameCodeSequence);
      const value = valueOf(item);
      const text = name && value ? `${name}: ${value}` : name || value;
      if (text) lines.push(`${'  '.repeat(depth)}${text}`);
      walk(sequenceItems(item, T.ContentSequence), depth + 1);
    }
  };
  walk(sequenceItems(root, T.ContentSequence), title ? 1 : 0);
  return lines;
}
