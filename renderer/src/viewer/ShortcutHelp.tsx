import { useEffect, useRef } from 'react';
import { VIEWER_SHORTCUTS } from './viewer-shortcuts.ts';

export function ShortcutHelp({ onClose }: { onClose(): void }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => closeRef.current?.focus(), []);
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcut-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="shortcut-title">Keyboard shortcuts</h2>
        <p className="muted">Mouse: left button uses the selected tool, middle drag pans, right drag zooms, the wheel scrolls slices.</p>
        <p className="muted">
          Measurements: click one on the image, or choose it in the list (which goes to its slice), to select it; Delete or Backspace deletes it, as do a right-click on
          it and its × in the list. They stay for the session, across series and studies.
        </p>
        <p className="muted">
          Calibrate (C), on an image without a pixel spacing in the patient: draw a line over an object of known size and enter its length in mm. The series&apos; lengths and
          areas, those already drawn included, are then in mm calibrated by user, as the overlay and the measurements say, until Remove calibration.
        </p>
        <table className="shortcut-table">
          <tbody>
            {VIEWER_SHORTCUTS.map((s) => (
              <tr key={s.label + s.description}>
                <th scope="row">
                  <kbd>{s.label}</kbd>
                </th>
                <td>{s.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={closeRef} type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </div>
  );
}
