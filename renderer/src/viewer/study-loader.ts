/**
 * From a study UID to stacks the viewer can show: the series list, then each series' metadata,
 * registered with the image loader under the imageIds of its frames.
 */
import { nonImageKindOfInstance, pixelDataUncertain, stackFrames, withoutPixelData } from '../api/stack-frames.ts';
import { fetchSeriesInstances, fetchStudySeries, frameImageId, instanceHasPixelData, instanceUrl, seriesUrl, type SeriesSummary } from '../api/study-api.ts';
import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { formatDicomDate, formatPersonName } from '../dicom/dicom-format.ts';
import { numberValue, stringValue, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';
import { ENCAPSULATED_PDF_STORAGE, nonImageMessage, type NonImageKind } from '../dicom/sop-classes.ts';
import { structuredReportLines } from '../dicom/structured-report.ts';
import { registerInstanceMetadata } from '../imaging/cornerstone.ts';
import { registerMultiframeInstance } from '../imaging/frame-ranges.ts';
import { registerBatchedSeries } from '../imaging/series-batch-loader.ts';
import { batchesSeries } from '../imaging/series-batches.ts';
import { needsOwnDecoding } from '../imaging/pixel-data.ts';
import { frameInfoOf, type FrameInfo } from './frame-info.ts';

export interface LoadedSeries extends SeriesSummary {
  /** One per frame, in display order (head to feet); empty for a series of non-image objects. */
  imageIds: string[];
  /** What each of those frames is (from its own header), in the same order. */
  frames: FrameInfo[];
  /** Instances in the series (objects of any kind). */
  objectCount: number;
  /** Set when the series holds no image: what its objects are, said plainly. */
  nonImage: NonImageSeries | null;
}

export interface NonImageSeries extends NonImageKind {
  /** `Structured report — not an image`. */
  message: string;
  /** A structured report's content as lines of text (the first report of the series); else empty. */
  text: string[];
  /** An encapsulated PDF's document (0042,0011), for the viewer to draw: its bulk data URL; else null. */
  pdfUrl: string | null;
}

/** What the overlay shows about the patient and study, from the first instance's header. */
export interface StudyHeader {
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  /** PatientAge as recorded at the study (`064Y`). */
  patientAge: string;
  accessionNumber: string;
  studyDate: string;
  studyDescription: string;
}

type Bridge = Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>;

/** Whether an instance's frames need the viewer's own decoding (pixel-data.ts), by its pixel format. */
function ownDecodingOf(metadata: DicomJsonObject): boolean {
  return needsOwnDecoding({ bitsAllocated: numberValue(metadata, Tag.BitsAllocated) ?? 0, samplesPerPixel: numberValue(metadata, Tag.SamplesPerPixel) ?? 1 });
}

export function studyHeaderOf(metadata: DicomJsonObject): StudyHeader {
  return {
    patientName: formatPersonName(stringValue(metadata, Tag.PatientName)),
    patientId: stringValue(metadata, Tag.PatientID) ?? '',
    patientBirthDate: formatDicomDate(stringValue(metadata, Tag.PatientBirthDate)),
    patientSex: stringValue(metadata, Tag.PatientSex) ?? '',
    patientAge: stringValue(metadata, Tag.PatientAge) ?? '',
    accessionNumber: stringValue(metadata, Tag.AccessionNumber) ?? '',
    studyDate: formatDicomDate(stringValue(metadata, Tag.StudyDate)),
    studyDescription: stringValue(metadata, Tag.StudyDescription) ?? '',
  };
}

export async function loadSeriesList(bridge: Bridge, serverUrl: string, studyUid: string, signal: AbortSignal): Promise<SeriesSummary[]> {
  return fetchStudySeries(bridge, serverUrl, studyUid, signal);
}

export async function loadSeries(
  bridge: Bridge,
  serverUrl: string,
  studyUid: string,
  summary: SeriesSummary,
  signal: AbortSignal,
): Promise<{ series: LoadedSeries; header: StudyHeader | null }> {
  const listed = await fetchSeriesInstances(bridge, serverUrl, studyUid, summary.seriesInstanceUid, signal);
  // Objects whose header leaves open whether they have pixel data are asked about once, so that
  // none without is shown as an image whose frames fail.
  const instances = await Promise.all(
    listed.map(async (instance) =>
      pixelDataUncertain(instance.metadata) &&
      !(await instanceHasPixelData(bridge, instanceUrl(serverUrl, studyUid, summary.seriesInstanceUid, instance.sopInstanceUid), signal))
        ? { ...instance, metadata: withoutPixelData(instance.metadata) }
        : instance,
    ),
  );
  // The image loader gets each instance's metadata once, under its first frame's imageId: the
  // dicom-image-loader derives every other frame's (per-frame functional groups included) from it.
  const frameIds = new Map<string, string[]>();
  const stack = stackFrames(instances);
  const frames = stack.map(({ instance, frame, numberOfFrames }) => frameInfoOf(instance.metadata, frame, numberOfFrames));
  const imageIds = stack.map(({ instance, frame, numberOfFrames }) => {
    let ids = frameIds.get(instance.sopInstanceUid);
    if (!ids) {
      const url = instanceUrl(serverUrl, studyUid, summary.seriesInstanceUid, instance.sopInstanceUid);
      // Multi-frame instances' frames are fetched in ranges (frame-ranges.ts), and so are frames
      // Cornerstone's decoders do not read right by themselves (pixel-data.ts).
      const ownDecoding = ownDecodingOf(instance.metadata);
      ids =
        numberOfFrames > 1 || ownDecoding
          ? registerMultiframeInstance(url, numberOfFrames)
          : [frameImageId(serverUrl, studyUid, summary.seriesInstanceUid, instance.sopInstanceUid)];
      frameIds.set(instance.sopInstanceUid, ids);
      registerInstanceMetadata(ids[0] ?? '', instance.metadata);
    }
    return ids[frame - 1] ?? '';
  });
  // A series of single-frame instances comes in one series retrieval (series-batches.ts).
  const candidates = stack.filter(({ frame }) => frame === 1).map(({ instance, numberOfFrames }) => ({
    numberOfFrames,
    ownDecoding: ownDecodingOf(instance.metadata),
  }));
  if (batchesSeries(candidates)) {
    registerBatchedSeries(
      seriesUrl(serverUrl, studyUid, summary.seriesInstanceUid),
      [...frameIds].map(([sopInstanceUid, ids]) => ({ sopInstanceUid, imageId: ids[0] ?? '' })),
    );
  }
  const first = instances[0];
  let nonImage: NonImageSeries | null = null;
  if (imageIds.length === 0 && first) {
    const kind = nonImageKindOfInstance(first.metadata) ?? { kind: 'other' as const, label: 'Object without pixel data' };
    const report = kind.kind === 'sr' ? instances.find((i) => nonImageKindOfInstance(i.metadata)?.kind === 'sr') : undefined;
    const pdf = instances.find((i) => stringValue(i.metadata, Tag.SOPClassUID) === ENCAPSULATED_PDF_STORAGE);
    nonImage = {
      ...kind,
      message: nonImageMessage(kind),
      text: report ? structuredReportLines(report.metadata) : [],
      pdfUrl: pdf ? `${instanceUrl(serverUrl, studyUid, summary.seriesInstanceUid, pdf.sopInstanceUid)}/bulk/00420011` : null,
    };
  }
  return {
    series: { ...summary, imageIds, frames, objectCount: instances.length, nonImage },
    header: first ? studyHeaderOf(first.metadata) : null,
  };
}
