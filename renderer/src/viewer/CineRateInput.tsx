import { useEffect, useState } from 'react';
import { MAX_CINE_FPS, MIN_CINE_FPS, parseCineRate } from './cine-rate.ts';

/**
 * The cine frame-rate field. It keeps the text being typed (an emptied or half-typed field is not
 * overwritten by the current rate, which made "30" become "60" after a Backspace) and sets the
 * rate whenever the text stands for one; on leaving the field it shows the rate in force.
 */
export function CineRateInput({ framesPerSecond, onRate }: { framesPerSecond: number; onRate(fps: number): void }) {
  const [text, setText] = useState(String(framesPerSecond));
  const [editing, setEditing] = useState(false);
  useEffect(() => {
    if (!editing) setText(String(framesPerSecond));
  }, [framesPerSecond, editing]);
  return (
    <label className="fps">
      <input
        type="text"
        inputMode="numeric"
        role="spinbutton"
        aria-valuemin={MIN_CINE_FPS}
        aria-valuemax={MAX_CINE_FPS}
        aria-valuenow={framesPerSecond}
        size={3}
        value={text}
        aria-label="Cine frame rate (frames per second)"
        onFocus={() => setEditing(true)}
        onBlur={() => {
          setEditing(false);
          setText(String(framesPerSecond));
        }}
        onChange={(e) => {
          setText(e.target.value);
          const fps = parseCineRate(e.target.value);
          if (fps !== null && fps !== framesPerSecond) onRate(fps);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          // A spin button's arrows step the rate.
          const step = e.key === 'ArrowUp' ? 1 : e.key === 'ArrowDown' ? -1 : 0;
          if (step === 0) return;
          e.preventDefault();
          const fps = Math.max(MIN_CINE_FPS, Math.min(MAX_CINE_FPS, framesPerSecond + step));
          setText(String(fps));
          onRate(fps);
        }}
      />
      fps
    </label>
  );
}
