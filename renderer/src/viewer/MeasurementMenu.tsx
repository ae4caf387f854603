import { useEffect, useRef } from 'react';

/**
 * What a right-click on a measurement offers: deleting it. Placed where the click was, focused,
 * and gone on Escape, on leaving it or once chosen.
 */
export function MeasurementMenu({ x, y, onDelete, onClose }: { x: number; y: number; onDelete(): void; onClose(): void }) {
  const itemRef = useRef<HTMLButtonElement>(null);
  useEffect(() => itemRef.current?.focus(), []);
  return (
    <div
      className="measurement-menu"
      role="menu"
      aria-label="Measurement"
      style={{ left: x, top: y }}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        onClose();
      }}
      onBlur={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget)) onClose();
      }}
    >
      <button ref={itemRef} type="button" role="menuitem" onClick={onDelete}>
        Delete measurement
      </button>
    </div>
  );
}
