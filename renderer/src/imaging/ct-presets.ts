/** Window/level in Hounsfield units. */
export interface WindowLevel {
  windowWidth: number;
  windowCenter: number;
}

export interface CtWindowPreset extends WindowLevel {
  id: 'brain' | 'lung' | 'bone' | 'abdomen';
  label: string;
  /** Keyboard shortcut. */
  key: string;
}

/** The usual CT windows (width/level in HU), as most PACS viewers ship them. */
export const CT_WINDOW_PRESETS: readonly CtWindowPreset[] = [
  { id: 'brain', label: 'Brain', windowWidth: 80, windowCenter: 40, key: '1' },
  { id: 'lung', label: 'Lung', windowWidth: 1500, windowCenter: -600, key: '2' },
  { id: 'bone', label: 'Bone', windowWidth: 2000, windowCenter: 300, key: '3' },
  { id: 'abdomen', label: 'Abdomen', windowWidth: 400, windowCenter: 50, key: '4' },
];

export function voiRangeOf({ windowWidth, windowCenter }: WindowLevel): { lower: number; upper: number } {
  return { lower: windowCenter - windowWidth / 2, upper: windowCenter + windowWidth / 2 };
}

export function windowLevelOf({ lower, upper }: { lower: number; upper: number }): WindowLevel {
  return { windowWidth: upper - lower, windowCenter: (upper + lower) / 2 };
}
