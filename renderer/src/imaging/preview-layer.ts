/**
 * Where a slice's preview (first-image-preview.ts) is drawn: a canvas over the viewport,
 * fitted like the image, with a label saying it is a reduced-resolution preview, until the stack
 * viewer removes it (Cornerstone drew that slice, another slice was asked for, or its load failed).
 * It takes no pointer events: the tools and the values under the cursor act on the viewport
 * beneath, which holds no image yet or the slice drawn before, and says the slice is loading.
 */
import type { PreviewRecord } from '@reading-station/contract';
import { PREVIEW_DECODE_LEVEL, type PreviewImage } from './first-image-preview.ts';

export const PREVIEW_LABEL = `Preview at 1/${2 ** PREVIEW_DECODE_LEVEL} resolution — loading the full image`;

/** Previews kept for the hook: the newest. */
const MAX_HISTORY = 64;

export class PreviewLayer {
  readonly #element: HTMLElement;
  #shown: { canvas: HTMLCanvasElement; label: HTMLElement; record: PreviewRecord } | null = null;
  /** Every preview drawn on this viewer, for the diagnostics hook. */
  readonly history: PreviewRecord[] = [];

  constructor(element: HTMLElement) {
    this.#element = element;
  }

  /** The image whose preview is shown, or null. */
  get imageId(): string | null {
    return this.#shown?.record.imageId ?? null;
  }

  show(preview: PreviewImage): void {
    this.remove();
    const canvas = document.createElement('canvas');
    canvas.width = preview.columns;
    canvas.height = preview.rows;
    canvas.dataset.testid = 'image-preview';
    canvas.setAttribute('aria-hidden', 'true');
    Object.assign(canvas.style, { position: 'absolute', inset: '0', width: '100%', height: '100%', objectFit: 'contain', pointerEvents: 'none', zIndex: '1', background: '#000' });
    const context = canvas.getContext('2d');
    if (!context) return;
    context.putImageData(new ImageData(new Uint8ClampedArray(preview.rgba), preview.columns, preview.rows), 0, 0);
    const label = document.createElement('div');
    label.setAttribute('role', 'status');
    label.dataset.testid = 'image-preview-label';
    label.textContent = PREVIEW_LABEL;
    Object.assign(label.style, { position: 'absolute', left: '50%', bottom: '8px', transform: 'translateX(-50%)', zIndex: '2', pointerEvents: 'none', padding: '2px 8px', background: 'rgba(0,0,0,0.7)', color: '#ffd75e', font: '13px system-ui, sans-serif', borderRadius: '4px' });
    this.#element.append(canvas, label);
    const record: PreviewRecord = { imageId: preview.imageId, columns: preview.columns, rows: preview.rows, fullColumns: preview.fullColumns, fullRows: preview.fullRows, shownAt: performance.now(), drawnAt: null, removedAt: null };
    requestAnimationFrame(() => {
      record.drawnAt = performance.now();
    });
    this.history.push(record);
    if (this.history.length > MAX_HISTORY) this.history.shift();
    this.#shown = { canvas, label, record };
  }

  remove(): void {
    if (!this.#shown) return;
    this.#shown.canvas.remove();
    this.#shown.label.remove();
    this.#shown.record.removedAt = performance.now();
    this.#shown = null;
  }
}
