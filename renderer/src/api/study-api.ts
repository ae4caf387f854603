/**
 * A study's series and their instances, from the gate's DICOMweb routes (QIDO series search and
 * WADO-RS series metadata). The metadata objects are kept whole: the image loader needs them.
 */
import { DICOM_JSON } from '@reading-station/contract';
import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { dicomJsonArraySchema, numberValue, numberValues, stringValue, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';
import { ApiError } from './api-error.ts';
import { authorizedFetch } from './authorized-fetch.ts';

type Bridge = Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>;

export interface SeriesSummary {
  seriesInstanceUid: string;
  seriesNumber: number | null;
  description: string;
  modality: string;
  instanceCount: number | null;
}

export interface SeriesInstance {
  sopInstanceUid: string;
  instanceNumber: number | null;
  /** The instance's WADO-RS metadata, as the image loader wants it. */
  metadata: DicomJsonObject;
}

export function dicomWebRoot(serverUrl: string): string {
  return `${serverUrl}/api/ris/dicom-web`;
}

async function fetchDicomJson(bridge: Bridge, url: string, signal?: AbortSignal): Promise<DicomJsonObject[]> {
  const response = await authorizedFetch(bridge, url, { accept: DICOM_JSON, ...(signal ? { signal } : {}) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : [];
  } catch {
    throw new ApiError('UNEXPECTED', { status: response.status, message: 'The server sent study data that is not valid JSON. Retry; call IT if it persists.' });
  }
  const parsed = dicomJsonArraySchema.safeParse(json);
  if (!parsed.success) throw new ApiError('UNEXPECTED', { message: 'The server sent study data in a form this app does not understand. Contact IT.' });
  return parsed.data;
}

export async function fetchStudySeries(bridge: Bridge, serverUrl: string, studyUid: string, signal?: AbortSignal): Promise<SeriesSummary[]> {
  const url = `${dicomWebRoot(serverUrl)}/studies/${encodeURIComponent(studyUid)}/series?includefield=all`;
  const series = (await fetchDicomJson(bridge, url, signal)).map((s) => ({
    seriesInstanceUid: stringValue(s, Tag.SeriesInstanceUID) ?? '',
    seriesNumber: numberValue(s, Tag.SeriesNumber),
    description: stringValue(s, Tag.SeriesDescription) ?? '',
    modality: stringValue(s, Tag.Modality) ?? '',
    instanceCount: numberValue(s, Tag.NumberOfSeriesRelatedInstances),
  }));
  if (series.length === 0) throw new ApiError('STUDY_NOT_FOUND', { message: 'This study has no images the server can show.' });
  return series.sort((a, b) => (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity));
}

export async function fetchSeriesInstances(
  bridge: Bridge,
  serverUrl: string,
  studyUid: string,
  seriesUid: string,
  signal?: AbortSignal,
): Promise<SeriesInstance[]> {
  const url = `${dicomWebRoot(serverUrl)}/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/metadata`;
  const instances = (await fetchDicomJson(bridge, url, signal)).map((metadata) => ({
    sopInstanceUid: stringValue(metadata, Tag.SOPInstanceUID) ?? '',
    instanceNumber: numberValue(metadata, Tag.InstanceNumber),
    metadata,
  }));
  return sortInstancesForStack(instances);
}

/**
 * Slice order for scrolling: head to feet along the slice normal when positions are known
 * (instance numbers are not guaranteed to follow anatomy), else by instance number.
 */
export function sortInstancesForStack(instances: SeriesInstance[]): SeriesInstance[] {
  const along = (instance: SeriesInstance): number | null => {
    const position = numberValues(instance.metadata, Tag.ImagePositionPatient);
    const orientation = numberValues(instance.metadata, Tag.ImageOrientationPatient);
    if (position.length !== 3 || orientation.length !== 6) return null;
    const [rx = 0, ry = 0, rz = 0, cx = 0, cy = 0, cz = 0] = orientation;
    const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
    return position.reduce((sum, p, i) => sum + p * (normal[i] ?? 0), 0);
  };
  const keyed = instances.map((instance) => ({ instance, along: along(instance) }));
  if (keyed.every((k) => k.along !== null)) {
    // Higher z (towards the head) first, as radiologists page through an axial CT.
    return keyed.sort((a, b) => (b.along ?? 0) - (a.along ?? 0)).map((k) => k.instance);
  }
  return [...instances].sort((a, b) => (a.instanceNumber ?? Infinity) - (b.instanceNumber ?? Infinity));
}

/** A series' WADO-RS retrieval: every instance of it (series-batches.ts). */
export function seriesUrl(serverUrl: string, studyUid: string, seriesUid: string): string {
  return `${dicomWebRoot(serverUrl)}/studies/${studyUid}/series/${seriesUid}`;
}

export function instanceUrl(serverUrl: string, studyUid: string, seriesUid: string, sopInstanceUid: string): string {
  return `${seriesUrl(serverUrl, studyUid, seriesUid)}/instances/${sopInstanceUid}`;
}

/** The `wadors:` imageId of one frame (1-based) of an instance. */
export function frameImageId(serverUrl: string, studyUid: string, seriesUid: string, sopInstanceUid: string, frame = 1): string {
  return `wadors:${instanceUrl(serverUrl, studyUid, seriesUid, sopInstanceUid)}/frames/${frame}`;
}

/**
 * Whether an instance has pixel data, for one whose metadata has an Image Pixel module but no
 * Pixel Data attribute (stack-frames.ts `pixelDataUncertain`): Orthanc leaves Pixel Data out of the
 * metadata of deflated files, and objects without pixel data may carry the module all the same.
 * Its bulk data URI tells (404: none); only the answer's headers are read. Any other failure keeps
 * the header's word (an image), whose frame request then reports it.
 */
export async function instanceHasPixelData(bridge: Bridge, instance: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const response = await authorizedFetch(bridge, `${instance}/bulk/7fe00010`, { accept: 'multipart/related; type="application/octet-stream"', ...(signal ? { signal } : {}) });
    await response.body?.cancel();
    return true;
  } catch (error) {
    if (signal?.aborted) throw error;
    return !(error instanceof ApiError && error.status === 404);
  }
}
