/**
 * The line a calibration is drawn with (calibration.ts): Cornerstone's length tool under a name of
 * its own, so that it never becomes a measurement record, and is measured as Cornerstone measures
 * the image (px, or mm at the detector) whatever calibration the series has.
 */
import * as tools from '@cornerstonejs/tools';
import { textLinesFor } from './measurements.ts';

export class CalibrationLineTool extends tools.LengthTool {
  static override toolName = 'CalibrationLine';
}

/** The line's own words: its raw length, as the calibration dialog names it. */
export const calibrationLineConfiguration = { getTextLines: textLinesFor(tools.LengthTool.toolName) };
