// Writes small DICOM Part 10 files (explicit VR little endian) for unit tests, and reads back the
// text elements of such a file for the Orthanc stand-in. No DICOM library: nothing in the gate or
// the admin CLI parses DICOM (Orthanc does), so these tests need none either.

export interface FixtureInstance {
  patientId?: string;
  patientName?: string;
  patientBirthDate?: string;
  patientSex?: string;
  studyInstanceUid?: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  accessionNumber?: string;
  studyDate?: string;
  studyTime?: string;
  studyDescription?: string;
  modality?: string;
}

const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const LONG_LENGTH_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

function element(group: number, elementNumber: number, vr: string, value: Buffer | string): Buffer {
  let data = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (data.length % 2 === 1) data = Buffer.concat([data, Buffer.from(vr === 'UI' || vr === 'OB' ? [0] : [0x20])]);
  const long = LONG_LENGTH_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elementNumber, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(data.length, 8);
  else header.writeUInt16LE(data.length, 6);
  return Buffer.concat([header, data]);
}

function uint16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}

export function dicomFile(instance: FixtureInstance): Uint8Array {
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', SECONDARY_CAPTURE),
    element(0x0002, 0x0003, 'UI', instance.sopInstanceUid),
    element(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    element(0x0002, 0x0012, 'UI', '1.2.826.0.1.3680043.10.1234'),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);

  const optional = (group: number, elementNumber: number, vr: string, value: string | undefined) =>
    value === undefined ? [] : [element(group, elementNumber, vr, value)];
  const dataset = Buffer.concat([
    element(0x0008, 0x0016, 'UI', SECONDARY_CAPTURE),
    element(0x0008, 0x0018, 'UI', instance.sopInstanceUid),
    ...optional(0x0008, 0x0020, 'DA', instance.studyDate),
    ...optional(0x0008, 0x0030, 'TM', instance.studyTime),
    ...optional(0x0008, 0x0050, 'SH', instance.accessionNumber),
    ...optional(0x0008, 0x0060, 'CS', instance.modality),
    ...optional(0x0008, 0x1030, 'LO', instance.studyDescription),
    ...optional(0x0010, 0x0010, 'PN', instance.patientName),
    ...optional(0x0010, 0x0020, 'LO', instance.patientId),
    ...optional(0x0010, 0x0030, 'DA', instance.patientBirthDate),
    ...optional(0x0010, 0x0040, 'CS', instance.patientSex),
    ...optional(0x0020, 0x000d, 'UI', instance.studyInstanceUid),
    element(0x0020, 0x000e, 'UI', instance.seriesInstanceUid),
    element(0x0028, 0x0002, 'US', uint16(1)),
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    element(0x0028, 0x0010, 'US', uint16(2)),
    element(0x0028, 0x0011, 'US', uint16(2)),
    element(0x0028, 0x0100, 'US', uint16(16)),
    element(0x0028, 0x0101, 'US', uint16(12)),
    element(0x0028, 0x0102, 'US', uint16(11)),
    element(0x0028, 0x0103, 'US', uint16(0)),
    element(0x7fe0, 0x0010, 'OW', Buffer.from([1, 0, 2, 0, 3, 0, 4, 0])),
  ]);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', groupLength), meta, dataset]);
}

/**
 * The text elements of a file `dicomFile` wrote, by tag (`00100020` → value), for the Orthanc
 * stand-in; undefined for anything that is not such a file (no preamble and `DICM`).
 */
export function readFixtureElements(bytes: Uint8Array): Map<string, string> | undefined {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 132 || buffer.toString('latin1', 128, 132) !== 'DICM') return undefined;
  const elements = new Map<string, string>();
  for (let offset = 132; offset + 8 <= buffer.length; ) {
    const tag = `${buffer.readUInt16LE(offset).toString(16).padStart(4, '0')}${buffer.readUInt16LE(offset + 2).toString(16).padStart(4, '0')}`.toUpperCase();
    const vr = buffer.toString('latin1', offset + 4, offset + 6);
    const long = LONG_LENGTH_VRS.has(vr);
    const length = long ? buffer.readUInt32LE(offset + 8) : buffer.readUInt16LE(offset + 6);
    const start = offset + (long ? 12 : 8);
    if (!long) elements.set(tag, buffer.toString('latin1', start, start + length).replace(/[\0 ]+$/, ''));
    offset = start + length;
  }
  return elements;
}
