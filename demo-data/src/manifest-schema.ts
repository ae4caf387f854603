/**
 * The schema of `manifest.json`, for reading it back from disk (it is input like any other).
 * The annotation below makes the compiler check that the schema and the `DemoManifest` type say
 * the same thing.
 */
import { roleSchema } from '@reading-station/contract';
import { z } from 'zod';

import type { DemoManifest } from './generate.ts';

const uid = z.string().regex(/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/).max(64);
const transferSyntax = z.enum(['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202']);
const date = z.string().regex(/^[0-9]{8}$/);
const time = z.string().regex(/^[0-9]{6}$/);
const count = z.number().int().nonnegative();

const anatomy = z.object({
  bodyWidthMm: z.number(),
  bodyDepthMm: z.number(),
  fatThicknessMm: z.number(),
  lungScale: z.number(),
  heartScale: z.number(),
  heartShiftMm: z.number(),
  aortaDiameterMm: z.number(),
  contrastHu: z.number(),
  nodule: z
    .object({ xMm: z.number(), yMm: z.number(), levelMm: z.number(), diameterMm: z.number() })
    .nullable(),
});

const phantom = z.object({
  seed: z.number().int().nonnegative(),
  rows: z.number().int().positive(),
  columns: z.number().int().positive(),
  pixelSpacingMm: z.number().positive(),
  sliceSpacingMm: z.number().positive(),
  firstSliceZMm: z.number(),
  apexZMm: z.number(),
  noiseSigmaHu: z.number().nonnegative(),
  anatomy,
});

const series = z.object({
  seriesInstanceUid: uid,
  seriesNumber: z.number().int().positive(),
  seriesDescription: z.string(),
  transferSyntaxUid: transferSyntax,
  sliceCount: z.number().int().positive(),
  sliceThicknessMm: z.number().positive(),
  convolutionKernel: z.string(),
  phantom,
});

const study = z.object({
  studyInstanceUid: uid,
  patientId: z.string(),
  accessionNumber: z.string(),
  studyId: z.string(),
  studyDate: date,
  studyTime: time,
  studyDescription: z.string(),
  modality: z.literal('CT'),
  referringPhysicianName: z.string(),
  orderingPhysician: z.string(),
  radiologist: z.string(),
  readingPhysicianName: z.string(),
  status: z.enum(['unread', 'reported']),
  frameOfReferenceUid: uid,
  series: z.array(series),
});

const cohort = z.object({
  users: z.array(
    z.object({
      username: z.string(),
      role: roleSchema,
      displayName: z.string(),
      patientId: z.string().nullable(),
    }),
  ),
  patients: z.array(
    z.object({
      patientId: z.string(),
      patientName: z.string(),
      birthDate: date,
      sex: z.enum(['F', 'M', 'O']),
      username: z.string(),
    }),
  ),
  studies: z.array(study),
});

export const demoManifestSchema: z.ZodType<DemoManifest> = z.object({
  formatVersion: z.literal(1),
  version: z.string(),
  generator: z.object({
    generatorVersion: z.number().int(),
    phantomVersion: z.number().int(),
    openjphVersion: z.string(),
    maxSlicesPerSeries: z.number().int().positive().nullable(),
  }),
  cohort,
  instances: z.array(
    z.object({
      file: z.string().regex(/^studies\/[A-Za-z0-9._/-]+\.dcm$/).refine((f) => !f.split('/').includes('..')),
      studyInstanceUid: uid,
      seriesInstanceUid: uid,
      sopInstanceUid: uid,
      instanceNumber: z.number().int().positive(),
      sliceIndex: count,
      transferSyntaxUid: transferSyntax,
      codestreamBytes: count,
      fileBytes: count,
    }),
  ),
  totals: z.object({ instances: count, fileBytes: count, codestreamBytes: count }),
});
