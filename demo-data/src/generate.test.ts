import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CT_IMAGE_STORAGE, HOSTILE_IMG, HOSTILE_SCRIPT, HTJ2K_LOSSLESS_RPCL, type DemoSeries } from './cohort.ts';
import {
  demoDatasetVersion,
  expectedDemoPixels,
  generateDemoDataset,
  locateDemoInstance,
  readDemoManifest,
  type DemoInstance,
  type DemoManifest,
  type DemoProgress,
} from './generate.ts';
import { decodeHtj2k, inspectHtj2kCodestream } from './htj2k.ts';
import { readPart10, type NaturalDataset } from './part10.ts';
import { phantomSlice } from './phantom.ts';
import { isValidDicomUid } from './uid.ts';

const SLICES = 2;
let dir: string;
let manifest: DemoManifest;
const progress: DemoProgress[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rs-demo-'));
  manifest = await generateDemoDataset(dir, { maxSlicesPerSeries: SLICES, onProgress: (p) => progress.push(p) });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function seriesOf(instance: DemoInstance): DemoSeries {
  const series = manifest.cohort.studies.flatMap((s) => s.series).find((s) => s.seriesInstanceUid === instance.seriesInstanceUid);
  if (!series) throw new Error(`no series for ${instance.file}`);
  return series;
}

async function readInstance(instance: DemoInstance): Promise<{ meta: NaturalDataset; dataset: NaturalDataset; frame: Uint8Array }> {
  const { meta, dataset } = readPart10(await readFile(path.join(dir, instance.file)));
  const frames = dataset.PixelData;
  if (!Array.isArray(frames) || frames.length !== 1 || !(frames[0] instanceof ArrayBuffer)) {
    throw new Error(`${instance.file}: expected one encapsulated frame`);
  }
  return { meta, dataset, frame: new Uint8Array(frames[0]) };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('generateDemoDataset', () => {
  it('reports progress once per instance', () => {
    const total = manifest.cohort.studies.reduce((n, s) => n + s.series.length, 0) * SLICES;
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === total)).toBe(true);
    expect(progress.map((p) => p.instance)).toEqual(manifest.instances);
  });

  it('writes a manifest that matches the files', async () => {
    expect(await readDemoManifest(dir)).toEqual(manifest);
    expect(manifest.version).toBe(demoDatasetVersion({ maxSlicesPerSeries: SLICES }));
    expect(manifest.generator.maxSlicesPerSeries).toBe(SLICES);
    expect(await listFiles(path.join(dir, 'studies'))).toEqual(manifest.instances.map((i) => i.file).sort());
    for (const instance of manifest.instances) {
      expect((await stat(path.join(dir, instance.file))).size).toBe(instance.fileBytes);
    }
    for (const study of manifest.cohort.studies) {
      for (const series of study.series) {
        const mine = manifest.instances.filter((i) => i.seriesInstanceUid === series.seriesInstanceUid);
        expect(mine.map((i) => i.instanceNumber)).toEqual([1, 2]);
        expect(mine.map((i) => i.sliceIndex)).toEqual([0, 1]);
        expect(mine.every((i) => i.studyInstanceUid === study.studyInstanceUid)).toBe(true);
        expect(mine.every((i) => i.transferSyntaxUid === series.transferSyntaxUid)).toBe(true);
      }
    }
    expect(manifest.totals.instances).toBe(manifest.instances.length);
    expect(manifest.totals.fileBytes).toBe(manifest.instances.reduce((n, i) => n + i.fileBytes, 0));
  });

  it('writes Part 10 files whose HTJ2K frame decodes to exactly the phantom', async () => {
    for (const instance of manifest.instances) {
      const { meta, dataset, frame } = await readInstance(instance);
      const series = seriesOf(instance);
      expect(meta.TransferSyntaxUID).toBe(series.transferSyntaxUid);
      expect(meta.MediaStorageSOPClassUID).toBe(CT_IMAGE_STORAGE);
      expect(meta.MediaStorageSOPInstanceUID).toBe(instance.sopInstanceUid);
      expect(dataset.SOPInstanceUID).toBe(instance.sopInstanceUid);
      expect(dataset.SeriesInstanceUID).toBe(instance.seriesInstanceUid);
      expect(dataset.StudyInstanceUID).toBe(instance.studyInstanceUid);
      expect(dataset.InstanceNumber).toBe(instance.instanceNumber);

      // One fragment per frame: the codestream, plus one pad byte when its length is odd.
      expect(frame.length).toBe(instance.codestreamBytes + (instance.codestreamBytes % 2));
      const info = inspectHtj2kCodestream(frame);
      expect(info).toMatchObject({ htj2k: true, reversible: true, width: 512, height: 512, signed: true, bitDepth: 16 });
      expect(info.progressionOrder).toBe(series.transferSyntaxUid === HTJ2K_LOSSLESS_RPCL ? 'RPCL' : 'LRCP');
      expect(info.tlmMarker).toBe(series.transferSyntaxUid === HTJ2K_LOSSLESS_RPCL);

      const decoded = decodeHtj2k(frame);
      expect(decoded.pixels).toBeInstanceOf(Int16Array);
      const expected = phantomSlice(series.phantom, instance.sliceIndex);
      expect(Buffer.from(decoded.pixels.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
    }
  });

  it('writes the modules a CT image needs, with geometry consistent along z', async () => {
    const first = manifest.instances[0];
    const second = manifest.instances[1];
    if (!first || !second) throw new Error('too few instances');
    const a = (await readInstance(first)).dataset;
    const b = (await readInstance(second)).dataset;
    expect(a).toMatchObject({
      SpecificCharacterSet: 'ISO_IR 192',
      SOPClassUID: CT_IMAGE_STORAGE,
      Modality: 'CT',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: 512,
      Columns: 512,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      PixelPaddingValue: -2000,
      RescaleIntercept: -1024,
      RescaleSlope: 1,
      RescaleType: 'HU',
      WindowCenter: [40, -600],
      WindowWidth: [400, 1500],
      ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
      SliceThickness: 2.5,
      KVP: 120,
      LossyImageCompression: '00',
    });
    for (const keyword of [
      'PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'AccessionNumber',
      'ReferringPhysicianName', 'StudyID', 'StudyDescription', 'SeriesNumber', 'SeriesDescription',
      'FrameOfReferenceUID', 'Manufacturer', 'PixelSpacing', 'ImagePositionPatient', 'SliceLocation', 'ConvolutionKernel',
    ]) {
      expect(a[keyword], keyword).toBeDefined();
    }
    const ippA = a.ImagePositionPatient as number[];
    const ippB = b.ImagePositionPatient as number[];
    expect(ippA[0]).toBe(ippB[0]);
    expect(ippA[1]).toBe(ippB[1]);
    expect((ippA[2] ?? 0) - (ippB[2] ?? 0)).toBeCloseTo(2.5, 9);
    expect(a.SliceLocation).toBe(ippA[2]);
    expect(a.FrameOfReferenceUID).toBe(b.FrameOfReferenceUID);
    for (const uid of [a.StudyInstanceUID, a.SeriesInstanceUID, a.SOPInstanceUID, a.FrameOfReferenceUID]) {
      expect(isValidDicomUid(String(uid))).toBe(true);
    }
  });

  it('keeps hostile and non-ASCII strings as data through DICOM', async () => {
    const mallory = manifest.cohort.studies.find((s) => s.patientId === 'RS-P0003');
    const obrien = manifest.cohort.studies.find((s) => s.patientId === 'RS-P0004');
    const m = manifest.instances.find((i) => i.studyInstanceUid === mallory?.studyInstanceUid);
    const o = manifest.instances.find((i) => i.studyInstanceUid === obrien?.studyInstanceUid);
    if (!m || !o) throw new Error('missing demo studies');
    const md = (await readInstance(m)).dataset;
    expect(md.PatientName).toEqual([{ Alphabetic: `${HOSTILE_SCRIPT}^Mallory` }]);
    expect(md.StudyDescription).toBe(`CT ${HOSTILE_SCRIPT}${HOSTILE_IMG}`);
    expect(md.SeriesDescription).toBe(HOSTILE_IMG);
    const od = (await readInstance(o)).dataset;
    expect(od.PatientName).toEqual([{ Alphabetic: "O'BRIEN^SEÁN" }]);
  });

  it('reuses a current dataset, regenerates identical bytes when forced, and repairs a damaged one', async () => {
    const file = manifest.instances[3]?.file ?? '';
    const hash = async (): Promise<string> =>
      createHash('sha256').update(await readFile(path.join(dir, file))).digest('hex');
    const before = await hash();
    const mtime = (await stat(path.join(dir, file))).mtimeMs;

    let calls = 0;
    const again = await generateDemoDataset(dir, { maxSlicesPerSeries: SLICES, onProgress: () => calls++ });
    expect(calls).toBe(0);
    expect(again).toEqual(manifest);
    expect((await stat(path.join(dir, file))).mtimeMs).toBe(mtime);

    await generateDemoDataset(dir, { maxSlicesPerSeries: SLICES, force: true, onProgress: () => calls++ });
    expect(calls).toBe(manifest.instances.length);
    expect(await hash()).toBe(before);

    await truncate(path.join(dir, file), 100);
    calls = 0;
    await generateDemoDataset(dir, { maxSlicesPerSeries: SLICES, onProgress: () => calls++ });
    expect(calls).toBe(manifest.instances.length);
    expect(await hash()).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(['manifest.json', 'studies']);
  });

  it('stamps the full dataset differently from a reduced one', () => {
    expect(demoDatasetVersion()).not.toBe(demoDatasetVersion({ maxSlicesPerSeries: SLICES }));
    expect(demoDatasetVersion()).toBe(demoDatasetVersion());
  });

  it('locates an instance and the pixels it was made from', () => {
    const instance = manifest.instances[5];
    if (!instance) throw new Error('too few instances');
    const located = locateDemoInstance(manifest, instance.sopInstanceUid);
    expect(located.instance).toBe(instance);
    expect(located.series.seriesInstanceUid).toBe(instance.seriesInstanceUid);
    expect(located.study.studyInstanceUid).toBe(instance.studyInstanceUid);
    expect(located.patient.patientId).toBe(located.study.patientId);
    expect(expectedDemoPixels(manifest, instance.sopInstanceUid)).toEqual(phantomSlice(located.series.phantom, instance.sliceIndex));
    expect(() => locateDemoInstance(manifest, '1.2.3')).toThrow(/no demo instance/);
  });

  it('finds no manifest where there is none', async () => {
    expect(await readDemoManifest(path.join(dir, 'nowhere'))).toBeNull();
  });
});
