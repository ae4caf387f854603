import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

const oneDecimal = (value: number) => value.toFixed(1);

/**
 * Asks for the true length of the calibration line just drawn. `onSubmit` returns why the entry
 * cannot calibrate (shown under the field, which keeps the focus) or null once it has.
 */
export function CalibrationDialog({ measured, unit, onSubmit, onCancel }: { measured: number; unit: string; onSubmit(text: string): string | null; onCancel(): void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  useEffect(() => inputRef.current?.focus(), []);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const problem = onSubmit(text);
    setError(problem);
    if (problem) inputRef.current?.focus();
  };
  return (
    <div className="dialog-backdrop" onClick={onCancel}>
      <form
        className="dialog calibration-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        data-testid="calibration-dialog"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
        onSubmit={submit}
        noValidate
      >
        <h2 id={`${id}-title`}>Calibrate</h2>
        <p className="muted">
          The line measures {oneDecimal(measured)} {unit}. Enter the true length of the object it spans: this series' lengths and areas are then in mm calibrated by
          you, its measurements included.
        </p>
        <label htmlFor={`${id}-length`}>True length (mm)</label>
        <input
          ref={inputRef}
          id={`${id}-length`}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={text}
          aria-invalid={error !== null}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => setText(e.target.value)}
        />
        {error && (
          <p id={`${id}-error`} className="form-error" role="alert" data-testid="calibration-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="submit">Set calibration</button>
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}
