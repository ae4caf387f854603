import { useCallback, useEffect, useRef, useState, type MouseEvent as ReactMouseEvent } from 'react';
import { ApiError } from '../api/api-error.ts';
import type { SeriesSummary } from '../api/study-api.ts';
import { navigate } from '../app/routes.ts';
import { useSession } from '../app/session-context.ts';
import { ErrorBanner } from '../common/ErrorBanner.tsx';
import { useApiErrorHandler } from '../common/use-api-error.ts';
import { ensureCornerstone, loadImageToShow } from '../imaging/cornerstone.ts';
import { windowPresetsFor } from '../imaging/ct-presets.ts';
import { calibrationFrom, parseKnownLength } from '../imaging/calibration.ts';
import { StackViewer, type DrawnCalibrationLine, type StackViewerState } from '../imaging/stack-viewer.ts';
import { deleteMeasurement, measurementNear, selectMeasurement } from '../imaging/measurement-annotations.ts';
import { measurementStore } from '../imaging/measurement-store.ts';
import type { MeasurementRecord } from '../imaging/measurements.ts';
import { exposeViewerDiagnostics } from '../imaging/viewer-diagnostics.ts';
import { CalibrationDialog } from './CalibrationDialog.tsx';
import { CalibrationNote } from './CalibrationNote.tsx';
import { goToMeasurement, nextMeasurementOf } from './measurement-actions.ts';
import { MeasurementList } from './MeasurementList.tsx';
import { MeasurementMenu } from './MeasurementMenu.tsx';
import { SeriesThumbnail } from './SeriesThumbnail.tsx';
import { ShortcutHelp } from './ShortcutHelp.tsx';
import { EncapsulatedPdf } from './EncapsulatedPdf.tsx';
import { SliceSlider } from './SliceSlider.tsx';
import { waitMessage, withRetry } from './load-retry.ts';
import { loadSeries, loadSeriesList, type LoadedSeries, type StudyHeader } from './study-loader.ts';
import { ViewerToolbar } from './ViewerToolbar.tsx';
import { useMeasurements } from './use-measurements.ts';
import { ViewportOverlay } from './ViewportOverlay.tsx';
import { commandForKey, type ViewerCommand } from './viewer-shortcuts.ts';

/**
 * Keys typed into a text field belong to it. The slice slider is not one: its own arrow-key
 * direction (down = lower value = previous slice) would contradict the viewer's, so the viewer's
 * shortcuts win there and the handler's preventDefault stops the slider's own step.
 */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  return target instanceof HTMLInputElement && !['range', 'checkbox', 'radio', 'button'].includes(target.type);
}

type SeriesEntry = { summary: SeriesSummary; loaded: LoadedSeries | null; error: ApiError | null };

/** The study page: series thumbnails, the stack viewport with its tools, and every load error. */
export function StudyViewer({ studyInstanceUid }: { studyInstanceUid: string }) {
  const { bridge, session, endSession } = useSession();
  const toApiError = useApiErrorHandler();
  const [attempt, setAttempt] = useState(0);
  const [series, setSeries] = useState<SeriesEntry[] | null>(null);
  const [header, setHeader] = useState<StudyHeader | null>(null);
  const [studyError, setStudyError] = useState<ApiError | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [viewer, setViewer] = useState<StackViewer | null>(null);
  const [state, setState] = useState<StackViewerState | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  /** What the study's metadata load waits for right now (null once every series is in or failed). */
  const [waitingFor, setWaitingFor] = useState<string | null>(null);
  /** A series of non-image objects chosen for display (its message replaces the viewport). */
  const [nonImageShown, setNonImageShown] = useState<string | null>(null);
  const viewportRef = useRef<HTMLDivElement>(null);
  const renewingRef = useRef(false);
  /** A calibration line just drawn, whose true length the dialog asks for. */
  const [calibrationLine, setCalibrationLine] = useState<DrawnCalibrationLine | null>(null);

  // The study's series and their metadata; the first series is shown as soon as it is known, and
  // the image it opens on is requested right then, while the viewport is still being set up.
  useEffect(() => {
    const controller = new AbortController();
    setSeries(null);
    setNonImageShown(null);
    setStudyError(null);
    setLoadError(null);
    (async () => {
      await ensureCornerstone(bridge);
      // Every request has a time limit and is retried by itself; the page says what it waits for.
      const retrying = (what: string) => ({ signal: controller.signal, onWait: (wait: Parameters<typeof waitMessage>[1]) => setWaitingFor(waitMessage(what, wait)) });
      const summaries = await withRetry((signal) => loadSeriesList(bridge, session.serverUrl, studyInstanceUid, signal), retrying("the study's series list"));
      if (controller.signal.aborted) return;
      setSeries(summaries.map((summary) => ({ summary, loaded: null, error: null })));
      let firstImageRequested = false;
      for (const [index, summary] of summaries.entries()) {
        try {
          const what = `the images of series ${index + 1} of ${summaries.length}`;
          const result = await withRetry((signal) => loadSeries(bridge, session.serverUrl, studyInstanceUid, summary, signal), retrying(what));
          if (controller.signal.aborted) return;
          const firstImage = result.series.imageIds[0];
          if (!firstImageRequested && firstImage) {
            firstImageRequested = true;
            loadImageToShow(firstImage);
          }
          setHeader((h) => h ?? result.header);
          setSeries((list) => list?.map((e) => (e.summary.seriesInstanceUid === summary.seriesInstanceUid ? { ...e, loaded: result.series } : e)) ?? null);
        } catch (error) {
          const apiError = toApiError(error);
          if (!apiError || controller.signal.aborted) return;
          // One series failing leaves the others readable; a study-wide refusal stops here.
          if (apiError.remedy !== 'retry') throw apiError;
          setSeries((list) => list?.map((e) => (e.summary.seriesInstanceUid === summary.seriesInstanceUid ? { ...e, error: apiError } : e)) ?? null);
        }
      }
      setWaitingFor(null);
    })().catch((error: unknown) => {
      setWaitingFor(null);
      const apiError = toApiError(error);
      if (apiError && !controller.signal.aborted) {
        setSeries(null);
        setStudyError(apiError);
      }
    });
    return () => controller.abort();
  }, [bridge, session.serverUrl, studyInstanceUid, attempt, toApiError]);

  const onLoadError = useCallback(
    (error: ApiError) => {
      if (error.code !== 'SESSION_ENDED') {
        setLoadError(error);
        return;
      }
      // A frame answered 401: renew once and load again; if renewal fails the session is over.
      if (renewingRef.current) return;
      renewingRef.current = true;
      bridge
        .refreshAccessToken()
        .then((token) => {
          if (token) void viewerRef.current?.retry();
          else endSession('expired');
        })
        .catch(() => setLoadError(new ApiError('SERVER_UNREACHABLE')))
        .finally(() => {
          renewingRef.current = false;
        });
    },
    [bridge, endSession],
  );

  // The viewport exists only once the study is known to be readable: a refused study shows its
  // message and no canvas at all. It is set up once the first series' metadata is in (or every
  // series has failed): setting up a viewport holds the page for a while (WebGL context, canvas
  // sizing), and the first image's request must not wait behind that.
  const viewerRef = useRef<StackViewer | null>(null);
  const canCreateViewer = series !== null && (series.length === 0 || series.some((e) => e.loaded !== null || e.error !== null));
  useEffect(() => {
    const element = viewportRef.current;
    if (!canCreateViewer || !element) return;
    const created = new StackViewer(element, { onState: setState, onLoadError, onCalibrationLine: setCalibrationLine });
    viewerRef.current = created;
    setViewer(created);
    setState(created.state);
    const hideDiagnostics = exposeViewerDiagnostics(created);
    return () => {
      hideDiagnostics();
      created.destroy();
      viewerRef.current = null;
      setViewer(null);
      setState(null);
    };
  }, [canCreateViewer, onLoadError]);

  // Register image series as their metadata arrives; show the first one that can be shown. A
  // series of non-image objects is never registered: none of its frames is ever requested. When
  // the study turns out to hold no image at all, its first such series is explained instead.
  const registered = useRef(new Set<string>());
  useEffect(() => {
    if (!viewer || !series) return;
    for (const entry of series) {
      const loaded = entry.loaded;
      if (!loaded || loaded.nonImage || loaded.imageIds.length === 0 || registered.current.has(loaded.seriesInstanceUid)) continue;
      registered.current.add(loaded.seriesInstanceUid);
      viewer.registerSeries(loaded.seriesInstanceUid, loaded.imageIds);
      if (!viewer.state.seriesInstanceUid && nonImageShown === null) void viewer.showSeries(loaded.seriesInstanceUid);
    }
    const settled = series.every((e) => e.loaded !== null || e.error !== null);
    const firstNonImage = series.find((e) => e.loaded?.nonImage)?.summary.seriesInstanceUid;
    if (settled && registered.current.size === 0 && nonImageShown === null && firstNonImage) setNonImageShown(firstNonImage);
  }, [viewer, series, nonImageShown]);
  useEffect(() => () => registered.current.clear(), [viewer]);

  const showSeries = (seriesInstanceUid: string) => {
    setLoadError(null);
    const entry = series?.find((e) => e.summary.seriesInstanceUid === seriesInstanceUid);
    if (entry?.loaded?.nonImage) {
      viewer?.stopCine();
      setNonImageShown(seriesInstanceUid);
      return;
    }
    setNonImageShown(null);
    void viewer?.showSeries(seriesInstanceUid);
  };

  const currentModality = series?.find((e) => e.summary.seriesInstanceUid === state?.seriesInstanceUid)?.summary.modality ?? '';

  /** A measurement chosen in the list or by key: selected, and its slice shown (in its series). */
  const showMeasurement = useCallback(
    (record: MeasurementRecord) => {
      if (!viewer) return;
      const elsewhere = goToMeasurement(viewer, record, nonImageShown === null ? viewer.state.seriesInstanceUid : null);
      if (!elsewhere) return;
      setLoadError(null);
      setNonImageShown(null);
      void viewer.showSeries(elsewhere.seriesInstanceUid, elsewhere.imageIndex);
    },
    [viewer, nonImageShown],
  );
  const measurements = useMeasurements();
  const shownSeries = series?.find((e) => e.summary.seriesInstanceUid === state?.seriesInstanceUid) ?? null;
  const drawnFrame = state?.renderedImageIndex == null ? null : (shownSeries?.loaded?.frames[state.renderedImageIndex] ?? null);
  /** Images whose spacing is the patient's (CT, MR, a calibrated radiograph) need no calibration. */
  const canCalibrate = drawnFrame !== null && drawnFrame.spacing.kind !== 'patient';
  const calibration = measurements.calibrations.find((c) => c.seriesInstanceUid === state?.seriesInstanceUid) ?? null;

  const endCalibration = () => {
    if (calibrationLine) viewer?.removeAnnotation(calibrationLine.annotationUID);
    setCalibrationLine(null);
  };
  /** The dialog's entry: null once the series is calibrated, else what is wrong with it. */
  const submitCalibration = (text: string): string | null => {
    const line = calibrationLine;
    const seriesInstanceUid = viewer?.state.seriesInstanceUid;
    if (!line || !viewer || !seriesInstanceUid) return 'The image is no longer shown: draw the line again.';
    const known = parseKnownLength(text);
    if (!known.ok) return known.message;
    const spacing = shownSeries?.loaded?.frames[line.imageIndex]?.spacing;
    const made = calibrationFrom(
      { studyInstanceUid, seriesInstanceUid, measured: line.measured, unit: line.unit, headerPixelMm: spacing?.columnMm ?? spacing?.rowMm ?? null },
      known.value,
    );
    if (!made.ok) return made.message;
    measurementStore.setCalibration(made.value);
    endCalibration();
    // What comes next is measuring, in the new units.
    viewer.setPrimaryTool('length');
    return null;
  };
  /** The measurement a right-click on the image chose, and where the click was. */
  const [measurementMenu, setMeasurementMenu] = useState<{ id: string; x: number; y: number } | null>(null);
  const onViewportContextMenu = (event: ReactMouseEvent<HTMLDivElement>) => {
    // The right button zooms by dragging: the browser's own menu never opens on the image.
    event.preventDefault();
    const rect = event.currentTarget.getBoundingClientRect();
    const [x, y] = [event.clientX - rect.left, event.clientY - rect.top];
    const id = viewer?.state.hasImage ? measurementNear(event.currentTarget, x, y) : null;
    if (id) selectMeasurement(id);
    setMeasurementMenu(id ? { id, x, y } : null);
  };

  const run = useCallback(
    (command: ViewerCommand) => {
      if (command.type === 'help') {
        setHelpOpen((open) => !open);
        return;
      }
      if (!viewer || !viewer.state.seriesInstanceUid || nonImageShown !== null) return;
      switch (command.type) {
        case 'scroll':
          viewer.scrollBy(command.delta);
          break;
        case 'scroll-to':
          viewer.scrollTo(command.position === 'first' ? 0 : viewer.state.imageCount - 1);
          break;
        case 'tool':
          if (command.tool !== 'calibrate' || canCalibrate) viewer.setPrimaryTool(command.tool);
          break;
        case 'preset':
          // Hounsfield presets on CT only.
          if (windowPresetsFor(currentModality).includes(command.preset)) viewer.setWindowLevel(command.preset);
          break;
        case 'image-window':
          viewer.setImageWindow(command.window);
          break;
        case 'zoom':
          viewer.zoomBy(command.factor);
          break;
        case 'reset':
          viewer.resetView();
          break;
        case 'cine':
          if (viewer.state.cine.playing) viewer.stopCine();
          else viewer.playCine();
          break;
        case 'invert':
          viewer.toggleInvert();
          break;
        case 'rotate':
          viewer.rotateBy(command.degrees);
          break;
        case 'flip':
          viewer.flip(command.direction);
          break;
        case 'next-measurement': {
          const next = nextMeasurementOf(viewer, viewer.state.seriesInstanceUid);
          if (next) showMeasurement(next);
          break;
        }
        case 'delete-measurement': {
          const selected = measurementStore.snapshot.selectedId;
          if (selected) deleteMeasurement(selected);
          break;
        }
      }
    },
    [viewer, nonImageShown, currentModality, showMeasurement, canCalibrate],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // The calibration dialog has the keyboard (Escape closes it) until it is answered.
      if (isTextEntry(event.target) || calibrationLine) return;
      if (event.key === 'Escape' && helpOpen) {
        setHelpOpen(false);
        return;
      }
      const command = commandForKey(event);
      if (!command) return;
      // Space and the arrows would otherwise also scroll the page or press a focused button.
      event.preventDefault();
      run(command);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run, helpOpen, calibrationLine]);

  const backToWorklist = () => navigate({ name: 'worklist' });
  const retryLoad = () => {
    setLoadError(null);
    if (!state?.seriesInstanceUid) {
      setAttempt((n) => n + 1);
      return;
    }
    const failedSeries = series?.filter((e) => e.error) ?? [];
    if (failedSeries.length > 0) setAttempt((n) => n + 1);
    else void viewer?.retry();
  };

  if (studyError) {
    return (
      <main className="viewer-screen viewer-error" data-testid="viewer">
        <ErrorBanner error={studyError} onRetry={() => setAttempt((n) => n + 1)} onBack={backToWorklist} />
      </main>
    );
  }

  const nonImage = series?.find((e) => e.summary.seriesInstanceUid === nonImageShown)?.loaded?.nonImage ?? null;
  const seriesError = series?.find((e) => e.error)?.error ?? null;
  const banner = loadError ?? (state?.seriesInstanceUid ? null : seriesError);
  // Series previews wait for the first image (or for it to fail): it goes first on the network,
  // in the decoders and on the page.
  const previewsMayLoad = state?.hasImage === true || loadError !== null || seriesError !== null;

  return (
    <main className="viewer-screen" data-testid="viewer">
      <aside className="series-panel" aria-label="Series">
        <button type="button" className="secondary back-button" onClick={backToWorklist}>
          ← Worklist
        </button>
        {(series === null || waitingFor !== null) && (
          <p className="muted load-status" role="status" data-testid="load-status">
            {waitingFor ?? 'Loading series…'}
          </p>
        )}
        <ol className="series-list">
          {series?.map((entry) => (
            <li key={entry.summary.seriesInstanceUid}>
              <SeriesThumbnail
                summary={entry.summary}
                series={entry.loaded}
                error={entry.error}
                progress={state?.progress[entry.summary.seriesInstanceUid] ?? null}
                active={nonImageShown !== null ? nonImageShown === entry.summary.seriesInstanceUid : state?.seriesInstanceUid === entry.summary.seriesInstanceUid}
                canLoadPreview={previewsMayLoad}
                onSelect={() => showSeries(entry.summary.seriesInstanceUid)}
              />
            </li>
          ))}
        </ol>
        {viewer && calibration && <CalibrationNote calibration={calibration} onRemove={() => measurementStore.removeCalibration(calibration.seriesInstanceUid)} />}
        {viewer && (
          <MeasurementList
            records={measurements.records.filter((r) => r.studyInstanceUid === studyInstanceUid)}
            series={(series ?? []).map((e) => ({ seriesInstanceUid: e.summary.seriesInstanceUid, label: e.summary.description || `Series ${e.summary.seriesNumber ?? ''}`.trim(), imageIds: viewer.imageIdsOf(e.summary.seriesInstanceUid) }))}
            selectedId={measurements.selectedId}
            onSelect={showMeasurement}
            onDelete={(record) => deleteMeasurement(record.id)}
            onDeleteAll={() => measurementStore.forStudy(studyInstanceUid).forEach((r) => deleteMeasurement(r.id))}
            calibratedSeries={new Set(measurements.calibrations.map((c) => c.seriesInstanceUid))}
          />
        )}
      </aside>
      <section className="viewport-column" aria-label="Image">
        <ViewerToolbar viewer={nonImage ? null : viewer} state={state} modality={currentModality} canCalibrate={canCalibrate} onHelp={() => setHelpOpen(true)} />
        {banner && <ErrorBanner error={banner} onRetry={retryLoad} onBack={backToWorklist} />}
        <div className="viewport-frame">
          <div
            ref={viewportRef}
            className="viewport"
            data-testid="viewport"
            onContextMenu={onViewportContextMenu}
            onMouseDown={(event) => {
              if (event.button === 0) setMeasurementMenu(null);
            }}
            hidden={series === null}
          />
          {nonImage && (
            <section className="non-image-panel" data-testid="non-image" aria-label="Object">
              <h2>{nonImage.message}</h2>
              {nonImage.text.length > 0 && <pre data-testid="report-text">{nonImage.text.join('\n')}</pre>}
              {nonImage.pdfUrl && <EncapsulatedPdf bridge={bridge} url={nonImage.pdfUrl} />}
            </section>
          )}
          {series !== null && !nonImage && !state?.hasImage && !banner && (
            <p className="viewport-status" role="status">
              {state?.seriesInstanceUid ? 'Loading image…' : 'Loading study…'}
            </p>
          )}
          {!nonImage && state?.hasImage && header && (
            <ViewportOverlay
              header={header}
              series={shownSeries?.summary ?? null}
              state={state}
              frame={drawnFrame}
              calibration={calibration}
            />
          )}
        </div>
        <SliceSlider viewer={viewer} state={state} />
      </section>
      {measurementMenu && (
        <MeasurementMenu
          x={measurementMenu.x + (viewportRef.current?.getBoundingClientRect().left ?? 0)}
          y={measurementMenu.y + (viewportRef.current?.getBoundingClientRect().top ?? 0)}
          onDelete={() => {
            deleteMeasurement(measurementMenu.id);
            setMeasurementMenu(null);
          }}
          onClose={() => setMeasurementMenu(null)}
        />
      )}
      {helpOpen && <ShortcutHelp onClose={() => setHelpOpen(false)} />}
      {calibrationLine && <CalibrationDialog measured={calibrationLine.measured} unit={calibrationLine.unit} onSubmit={submitCalibration} onCancel={endCalibration} />}
    </main>
  );
}
