/**
 * The media types DICOMweb clients ask the gate for (and nginx passes on to Orthanc).
 */

/** DICOM JSON: QIDO-RS search results and WADO-RS metadata. */
export const DICOM_JSON = 'application/dicom+json';

/**
 * WADO-RS frames as stored, whatever their transfer syntax (`transfer-syntax=*`): Orthanc sends
 * HTJ2K frames without transcoding and names each part's transfer syntax, from which the viewer
 * picks its decoder.
 */
export const FRAME_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/**
 * WADO-RS retrieval of whole objects as stored (`transfer-syntax=*`, no transcoding): the viewer
 * fetches a single-frame series as one series retrieval of this type and takes each instance's
 * frame out of its Part 10 object.
 */
export const SERIES_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
