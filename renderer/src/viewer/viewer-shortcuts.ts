/**
 * The viewer's keyboard shortcuts: one table drives both the key handler and the help sheet, so
 * the sheet cannot drift from what the keys do.
 */
import { CT_WINDOW_PRESETS, type CtWindowPreset } from '../imaging/ct-presets.ts';
import { IMAGE_WINDOW_PRESETS, type ImageWindowId } from '../imaging/image-windows.ts';
import type { PrimaryTool } from '../imaging/stack-viewer.ts';

export type ViewerCommand =
  | { type: 'scroll'; delta: number }
  | { type: 'scroll-to'; position: 'first' | 'last' }
  | { type: 'tool'; tool: PrimaryTool }
  | { type: 'preset'; preset: CtWindowPreset }
  | { type: 'image-window'; window: ImageWindowId }
  | { type: 'zoom'; factor: number }
  | { type: 'reset' }
  | { type: 'cine' }
  | { type: 'invert' }
  | { type: 'rotate'; degrees: number }
  | { type: 'flip'; direction: 'horizontal' | 'vertical' }
  | { type: 'next-measurement' }
  | { type: 'delete-measurement' }
  | { type: 'help' };

export interface Shortcut {
  /** `KeyboardEvent.key` values. */
  keys: readonly string[];
  /** How the help sheet writes the keys. */
  label: string;
  description: string;
  command: ViewerCommand;
}

export const VIEWER_SHORTCUTS: readonly Shortcut[] = [
  { keys: ['ArrowDown', 'ArrowRight'], label: '↓ / →', description: 'Next slice', command: { type: 'scroll', delta: 1 } },
  { keys: ['ArrowUp', 'ArrowLeft'], label: '↑ / ←', description: 'Previous slice', command: { type: 'scroll', delta: -1 } },
  { keys: ['PageDown'], label: 'Page Down', description: '10 slices on', command: { type: 'scroll', delta: 10 } },
  { keys: ['PageUp'], label: 'Page Up', description: '10 slices back', command: { type: 'scroll', delta: -10 } },
  { keys: ['Home'], label: 'Home', description: 'First slice', command: { type: 'scroll-to', position: 'first' } },
  { keys: ['End'], label: 'End', description: 'Last slice', command: { type: 'scroll-to', position: 'last' } },
  { keys: ['w', 'W'], label: 'W', description: 'Window/level by dragging', command: { type: 'tool', tool: 'windowLevel' } },
  { keys: ['p', 'P'], label: 'P', description: 'Pan by dragging', command: { type: 'tool', tool: 'pan' } },
  { keys: ['z', 'Z'], label: 'Z', description: 'Zoom by dragging', command: { type: 'tool', tool: 'zoom' } },
  { keys: ['l', 'L'], label: 'L', description: 'Measure a length (mm)', command: { type: 'tool', tool: 'length' } },
  { keys: ['a', 'A'], label: 'A', description: 'Measure an angle (drag one arm, then the other)', command: { type: 'tool', tool: 'angle' } },
  { keys: ['e', 'E'], label: 'E', description: 'Elliptical ROI (area, mean HU)', command: { type: 'tool', tool: 'ellipseRoi' } },
  { keys: ['x', 'X'], label: 'X', description: 'Probe: click a pixel for its value (HU on CT)', command: { type: 'tool', tool: 'probe' } },
  {
    keys: ['c', 'C'],
    label: 'C',
    description: 'Calibrate: draw a line over an object of known size, then enter its length in mm (images without spacing in the patient)',
    command: { type: 'tool', tool: 'calibrate' },
  },
  { keys: ['m', 'M'], label: 'M', description: 'Select the next measurement of this series (and go to its slice)', command: { type: 'next-measurement' } },
  { keys: ['Delete', 'Backspace'], label: 'Delete / Backspace', description: 'Delete the selected measurement', command: { type: 'delete-measurement' } },
  ...CT_WINDOW_PRESETS.map((preset) => ({
    keys: [preset.key],
    label: preset.key,
    description: `${preset.label} window (W ${preset.windowWidth} / L ${preset.windowCenter}; CT only)`,
    command: { type: 'preset', preset } as const,
  })),
  ...IMAGE_WINDOW_PRESETS.map(({ id, label, key, description }) => ({
    keys: [key],
    label: key,
    description: `${label} window: ${description.charAt(0).toLowerCase()}${description.slice(1)}`,
    command: { type: 'image-window', window: id } as const,
  })),
  { keys: ['+', '='], label: '+', description: 'Zoom in', command: { type: 'zoom', factor: 1.25 } },
  { keys: ['-', '_'], label: '−', description: 'Zoom out', command: { type: 'zoom', factor: 0.8 } },
  { keys: ['i', 'I'], label: 'I', description: 'Invert the grey scale', command: { type: 'invert' } },
  { keys: [']'], label: ']', description: 'Rotate 90° clockwise', command: { type: 'rotate', degrees: 90 } },
  { keys: ['['], label: '[', description: 'Rotate 90° anticlockwise', command: { type: 'rotate', degrees: -90 } },
  { keys: ['f', 'F'], label: 'F', description: 'Flip left–right', command: { type: 'flip', direction: 'horizontal' } },
  { keys: ['v', 'V'], label: 'V', description: 'Flip top–bottom', command: { type: 'flip', direction: 'vertical' } },
  { keys: ['r', 'R'], label: 'R', description: 'Reset zoom, pan, window, rotation, flips and invert', command: { type: 'reset' } },
  { keys: [' '], label: 'Space', description: 'Play or stop cine', command: { type: 'cine' } },
  { keys: ['?', 'h', 'H'], label: '? / H', description: 'Show or hide this help', command: { type: 'help' } },
];

const BY_KEY = new Map<string, ViewerCommand>(VIEWER_SHORTCUTS.flatMap((s) => s.keys.map((k) => [k, s.command] as const)));

/** The command for a key press, or null (with modifiers, a key belongs to the browser). */
export function commandForKey(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): ViewerCommand | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  return BY_KEY.get(event.key) ?? null;
}
