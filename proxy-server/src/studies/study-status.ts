/**
 * Where a study is in the reading workflow, in order:
 * - `scheduled`: ordered in the RIS, no images in the PACS yet;
 * - `unread`: images arrived, no radiologist has started reading;
 * - `in_progress`: a radiologist opened it for reporting;
 * - `read`: a preliminary report exists;
 * - `final`: the report is signed.
 * Importing images moves a new or `scheduled` study to `unread` and never touches a later status.
 */
export const STUDY_STATUSES = ['scheduled', 'unread', 'in_progress', 'read', 'final'] as const;
export type StudyStatus = (typeof STUDY_STATUSES)[number];
