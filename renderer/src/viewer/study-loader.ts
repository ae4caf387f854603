/**
 * From a study UID to stacks the viewer can show: the series list, then each series' metadata,
 * registered with the image loader under the imageIds of its frames.
 */
import { fetchSeriesInstances, fetchStudySeries, frameImageId, type SeriesSummary } from '../api/study-api.ts';
import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { formatDicomDate, formatPersonName } from '../dicom/dicom-format.ts';
import { stringValue, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';
import { registerInstanceMetadata } from '../imaging/cornerstone.ts';

export interface LoadedSeries extends SeriesSummary {
  /** In display order (head to feet). */
  imageIds: string[];
}

/** What the overlay shows about the patient and study, from the first instance's header. */
export interface StudyHeader {
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyDescription: string;
}

type Bridge = Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>;

export function studyHeaderOf(metadata: DicomJsonObject): StudyHeader {
  return {
    patientName: formatPersonName(stringValue(metadata, Tag.PatientName)),
    patientId: stringValue(metadata, Tag.PatientID) ?? '',
    patientBirthDate: formatDicomDate(stringValue(metadata, Tag.PatientBirthDate)),
    patientSex: stringValue(metadata, Tag.PatientSex) ?? '',
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
  const instances = await fetchSeriesInstances(bridge, serverUrl, studyUid, summary.seriesInstanceUid, signal);
  const imageIds = instances.map((instance) => {
    const imageId = frameImageId(serverUrl, studyUid, summary.seriesInstanceUid, instance.sopInstanceUid);
    registerInstanceMetadata(imageId, instance.metadata);
    return imageId;
  });
  const first = instances[0];
  return { series: { ...summary, imageIds }, header: first ? studyHeaderOf(first.metadata) : null };
}
