/**
 * An encapsulated PDF's document, drawn by PDF.js page by page onto canvases, with its text
 * beneath. The document came from a modality or a scanner and is not trusted: PDF.js parses it in
 * its own worker (version 6 compiles no code from a document: no eval), its scripts, forms and
 * links are never run or drawn, and what reaches the page is pixels and plain text, so nothing of
 * the document can navigate, run script or fetch. Pages beyond MAX_PAGES are counted, not drawn.
 */
import { useEffect, useRef, useState } from 'react';
import * as pdfjs from 'pdfjs-dist';
// Bundled by Vite as one of the app's own worker scripts (`.js`, which both hosts serve as JavaScript).
import PdfWorker from 'pdfjs-dist/build/pdf.worker.min.mjs?worker';
import { authorizedFetch } from '../api/authorized-fetch.ts';
import { ApiError } from '../api/api-error.ts';
import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { documentBytes } from './pdf-document.ts';

/** PDF.js's worker, started when the first document is drawn and kept for the next ones. */
function ensurePdfWorker(): void {
  pdfjs.GlobalWorkerOptions.workerPort ??= new PdfWorker();
}

export const MAX_PAGES = 20;
/** CSS pixels of a page's width as drawn. */
const PAGE_WIDTH = 800;

type Bridge = Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>;

interface Drawn {
  pages: number;
  text: string;
}

export function EncapsulatedPdf({ bridge, url }: { bridge: Bridge; url: string }) {
  const pagesRef = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState<Drawn | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    let task: pdfjs.PDFDocumentLoadingTask | null = null;
    const container = pagesRef.current;
    setDrawn(null);
    setError(null);
    (async () => {
      const response = await authorizedFetch(bridge, url, { accept: 'multipart/related; type="application/octet-stream"', signal: controller.signal });
      const data = documentBytes(response.headers.get('Content-Type') ?? '', new Uint8Array(await response.arrayBuffer()));
      ensurePdfWorker();
      task = pdfjs.getDocument({ data, enableXfa: false });
      const document = await task.promise;
      const lines: string[] = [];
      const shown = Math.min(document.numPages, MAX_PAGES);
      for (let number = 1; number <= shown && !controller.signal.aborted; number += 1) {
        const page = await document.getPage(number);
        const viewport = page.getViewport({ scale: 1 });
        const scaled = page.getViewport({ scale: PAGE_WIDTH / viewport.width });
        const canvas = window.document.createElement('canvas');
        canvas.width = Math.round(scaled.width);
        canvas.height = Math.round(scaled.height);
        canvas.setAttribute('aria-label', `Page ${number} of ${document.numPages}`);
        canvas.dataset.testid = 'document-page';
        container?.append(canvas);
        // Annotations (links, form fields) are not drawn: nothing of the document can be clicked.
        await page.render({ canvas, viewport: scaled, annotationMode: pdfjs.AnnotationMode.DISABLE }).promise;
        const content = await page.getTextContent();
        lines.push(content.items.map((item) => ('str' in item ? item.str : '')).join(' ').trim());
      }
      if (!controller.signal.aborted) setDrawn({ pages: document.numPages, text: lines.filter(Boolean).join('\n') });
    })().catch((failure: unknown) => {
      if (controller.signal.aborted) return;
      setError(failure instanceof ApiError ? failure.message : 'The document cannot be read: it is not a PDF this viewer can draw.');
    });
    return () => {
      controller.abort();
      void task?.destroy();
      container?.replaceChildren();
    };
  }, [bridge, url]);

  return (
    <div className="document" data-testid="document">
      {error && (
        <p className="document-error" role="alert">
          {error}
        </p>
      )}
      {!error && !drawn && <p role="status">Drawing the document…</p>}
      {drawn && drawn.pages > MAX_PAGES && <p role="status">{`The first ${MAX_PAGES} of ${drawn.pages} pages are shown.`}</p>}
      <div className="document-pages" ref={pagesRef} />
      {drawn && drawn.text && (
        <details open>
          <summary>Text of the document</summary>
          <pre data-testid="document-text">{drawn.text}</pre>
        </details>
      )}
    </div>
  );
}
