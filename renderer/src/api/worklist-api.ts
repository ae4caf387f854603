/**
 * The user's worklist: `GET /api/ris/worklist`, which lists exactly the studies the gate lets
 * this user see. Servers without that route yet answer 404 NOT_FOUND; then the same rows come from
 * the gate's QIDO study search (also constrained to the user's studies), searched and sorted here.
 */
import { DICOM_JSON } from '@reading-station/contract';
import { z } from 'zod';
import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { matchesSearch } from '../dicom/person-name.ts';
import { dicomJsonArraySchema, numberValue, stringValue, stringValues, Tag, type DicomJsonObject } from '../dicom/dicom-json.ts';
import { ApiError } from './api-error.ts';
import { authorizedFetch } from './authorized-fetch.ts';

// Patients get the display name only: the gate never shows them staff login names.
const physicianSchema = z.object({ username: z.string().optional(), displayName: z.string() }).nullable();

export const worklistItemSchema = z.object({
  studyInstanceUid: z.string(),
  patientName: z.string(),
  patientId: z.string(),
  /** With patientId, who the patient is: the same PatientID of two issuers is two patients. */
  issuerOfPatientId: z.string().nullable().optional(),
  patientBirthDate: z.string().nullable(),
  patientSex: z.string().nullable().optional(),
  studyDate: z.string().nullable(),
  studyTime: z.string().nullable().optional(),
  modalities: z.array(z.string()),
  description: z.string().nullable(),
  accessionNumber: z.string().nullable(),
  status: z.string(),
  numberOfSeries: z.number().nullable().optional(),
  numberOfInstances: z.number().nullable().optional(),
  orderingPhysician: physicianSchema.optional(),
  radiologist: physicianSchema.optional(),
  /** Told to administrators: the PACS holds this StudyInstanceUID under more than one patient. */
  conflict: z.literal(true).optional(),
});
export type WorklistItem = z.infer<typeof worklistItemSchema>;

const worklistResponseSchema = z.object({ total: z.number(), items: z.array(worklistItemSchema) });
export type Worklist = z.infer<typeof worklistResponseSchema>;

export const WORKLIST_SORT_KEYS = ['studyDate', 'patientName', 'accessionNumber', 'modality', 'status'] as const;
export type WorklistSortKey = (typeof WORKLIST_SORT_KEYS)[number];

export interface WorklistQuery {
  search: string;
  sort: WorklistSortKey;
  order: 'asc' | 'desc';
  limit: number;
}

export const DEFAULT_WORKLIST_QUERY: WorklistQuery = { search: '', sort: 'studyDate', order: 'desc', limit: 200 };

type Bridge = Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>;

export async function fetchWorklist(bridge: Bridge, serverUrl: string, query: WorklistQuery, signal?: AbortSignal): Promise<Worklist> {
  const params = new URLSearchParams({ q: query.search, sort: query.sort, order: query.order, limit: String(query.limit), offset: '0' });
  const options = signal ? { signal } : {};
  try {
    const response = await authorizedFetch(bridge, `${serverUrl}/api/ris/worklist?${params}`, options);
    const parsed = worklistResponseSchema.safeParse(await response.json());
    if (!parsed.success) throw new ApiError('UNEXPECTED', { message: 'The worklist came back in a form this app does not understand. Contact IT.' });
    return parsed.data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.serverCode === 'NOT_FOUND') {
      return fetchWorklistFromQido(bridge, serverUrl, query, options);
    }
    throw error;
  }
}

async function fetchWorklistFromQido(bridge: Bridge, serverUrl: string, query: WorklistQuery, options: { signal?: AbortSignal }): Promise<Worklist> {
  const params = new URLSearchParams({ includefield: 'all', limit: '1000' });
  const response = await authorizedFetch(bridge, `${serverUrl}/api/ris/dicom-web/studies?${params}`, { ...options, accept: DICOM_JSON });
  const text = await response.text();
  const parsed = dicomJsonArraySchema.safeParse(text ? JSON.parse(text) : []);
  if (!parsed.success) throw new ApiError('UNEXPECTED', { message: 'The study list came back in a form this app does not understand. Contact IT.' });
  const all = parsed.data.map(worklistItemFromQido);
  const items = sortWorklist(searchWorklist(all, query.search), query.sort, query.order).slice(0, query.limit);
  return { total: items.length, items };
}

export function worklistItemFromQido(study: DicomJsonObject): WorklistItem {
  return {
    studyInstanceUid: stringValue(study, Tag.StudyInstanceUID) ?? '',
    patientName: stringValue(study, Tag.PatientName) ?? '',
    patientId: stringValue(study, Tag.PatientID) ?? '',
    issuerOfPatientId: stringValue(study, Tag.IssuerOfPatientID),
    patientBirthDate: stringValue(study, Tag.PatientBirthDate),
    patientSex: stringValue(study, Tag.PatientSex),
    studyDate: stringValue(study, Tag.StudyDate),
    studyTime: stringValue(study, Tag.StudyTime),
    modalities: stringValues(study, Tag.ModalitiesInStudy),
    description: stringValue(study, Tag.StudyDescription),
    accessionNumber: stringValue(study, Tag.AccessionNumber),
    // QIDO does not know the reading status.
    status: 'unknown',
    numberOfSeries: numberValue(study, Tag.NumberOfStudyRelatedSeries),
    numberOfInstances: numberValue(study, Tag.NumberOfStudyRelatedInstances),
    orderingPhysician: null,
    radiologist: null,
  };
}

/**
 * The PatientID as the worklist shows it: with its issuer where the PACS gives one, since the
 * same PatientID of another issuer (a merged hospital, a partner site) is another patient.
 */
export function patientIdLabel(item: Pick<WorklistItem, 'patientId' | 'issuerOfPatientId'>): string {
  return item.issuerOfPatientId ? `${item.patientId} (issuer ${item.issuerOfPatientId})` : item.patientId;
}

/** The gate's search rule (every term in some field, a name in any group), on QIDO's rows. */
export function searchWorklist(items: readonly WorklistItem[], search: string): WorklistItem[] {
  return items.filter((item) =>
    matchesSearch([item.patientName, item.patientId, item.issuerOfPatientId, item.accessionNumber, item.description, item.modalities.join('\\')], search),
  );
}

export function sortWorklist(items: readonly WorklistItem[], sort: WorklistSortKey, order: 'asc' | 'desc'): WorklistItem[] {
  const key = (item: WorklistItem): string => {
    switch (sort) {
      case 'studyDate':
        return `${item.studyDate ?? ''}${item.studyTime ?? ''}`;
      case 'patientName':
        return item.patientName;
      case 'accessionNumber':
        return item.accessionNumber ?? '';
      case 'modality':
        return item.modalities.join(',');
      case 'status':
        return item.status;
    }
  };
  const sign = order === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => sign * key(a).localeCompare(key(b)));
}
