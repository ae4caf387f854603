import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ApiError } from '../api/api-error.ts';
import { DEFAULT_WORKLIST_QUERY, fetchWorklist, patientIdLabel, type Worklist, type WorklistItem, type WorklistQuery, type WorklistSortKey } from '../api/worklist-api.ts';
import { navigate } from '../app/routes.ts';
import { useSession } from '../app/session-context.ts';
import { ErrorBanner } from '../common/ErrorBanner.tsx';
import { useApiErrorHandler } from '../common/use-api-error.ts';
import { formatDicomDate, formatDicomTime } from '../dicom/dicom-format.ts';
import { displayPersonName } from '../dicom/person-name.ts';

interface Column {
  label: string;
  sortKey?: WorklistSortKey;
  cell(item: WorklistItem): ReactNode;
}

/** The name's first group, the others beneath it, every group named in the title (person-name.ts). */
function PatientName({ pn }: { pn: string }) {
  const name = displayPersonName(pn);
  return (
    <span className="patient-name" title={name.title || undefined}>
      {name.primary}
      {name.others.map((group) => (
        <span key={group.kind} className="patient-name-other">
          {group.text}
        </span>
      ))}
    </span>
  );
}

const COLUMNS: readonly Column[] = [
  { label: 'Patient', sortKey: 'patientName', cell: (i) => <PatientName pn={i.patientName} /> },
  { label: 'Patient ID', cell: (i) => patientIdLabel(i) },
  { label: 'Birth date', cell: (i) => formatDicomDate(i.patientBirthDate) },
  { label: 'Study date', sortKey: 'studyDate', cell: (i) => `${formatDicomDate(i.studyDate)} ${formatDicomTime(i.studyTime)}`.trim() },
  { label: 'Modality', sortKey: 'modality', cell: (i) => i.modalities.join(', ') },
  { label: 'Description', cell: (i) => i.description ?? '' },
  { label: 'Accession', sortKey: 'accessionNumber', cell: (i) => i.accessionNumber ?? '' },
  {
    label: 'Status',
    sortKey: 'status',
    cell: (i) =>
      i.conflict ? (
        <>
          {statusLabel(i.status)} <span className="worklist-conflict" title="The PACS holds this StudyInstanceUID under more than one patient: no one can open it until it is resolved (reading-station-admin registry conflicts)">⚠ UID conflict in the PACS</span>
        </>
      ) : (
        statusLabel(i.status)
      ),
  },
];

function statusLabel(status: string): string {
  switch (status) {
    case 'unread':
      return 'Unread';
    case 'reported':
      return 'Reported';
    case 'unknown':
      return '—';
    default:
      return status.charAt(0).toUpperCase() + status.slice(1);
  }
}

/** `value` once it has stopped changing for `delayMs`; `flush` takes it at once (Enter in the search). */
function useDebounced<T>(value: T, delayMs: number): [T, () => void] {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(value), delayMs);
    return () => window.clearTimeout(timer);
  }, [value, delayMs]);
  return [debounced, () => setDebounced(value)];
}

export interface WorklistScreenProps {
  /** The search text, kept by the signed-in shell so that it survives a visit to a study. */
  search: string;
  onSearchChange(search: string): void;
}

export function WorklistScreen({ search: searchText, onSearchChange }: WorklistScreenProps) {
  const { bridge, session } = useSession();
  const toApiError = useApiErrorHandler();
  const [search, flushSearch] = useDebounced(searchText, 250);
  const [sort, setSort] = useState<Pick<WorklistQuery, 'sort' | 'order'>>({ sort: DEFAULT_WORKLIST_QUERY.sort, order: DEFAULT_WORKLIST_QUERY.order });
  const [worklist, setWorklist] = useState<Worklist | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const rowRefs = useRef<Array<HTMLTableRowElement | null>>([]);
  const searchRef = useRef<HTMLInputElement>(null);
  /** Enter was pressed before the results for the typed text arrived: open the first of them. */
  const openOnArrival = useRef(false);
  /** The search the shown rows answer; a new one selects its first row. */
  const shownSearch = useRef<string | null>(null);

  // Arriving at the worklist (after sign-in, or back from a study), typing goes to the search.
  useEffect(() => searchRef.current?.focus(), []);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    fetchWorklist(bridge, session.serverUrl, { ...DEFAULT_WORKLIST_QUERY, search, ...sort }, controller.signal)
      .then((result) => {
        setWorklist(result);
        setError(null);
        const sameSearch = shownSearch.current === search;
        shownSearch.current = search;
        setSelected((s) => (sameSearch ? Math.min(s, Math.max(0, result.items.length - 1)) : 0));
        if (openOnArrival.current) {
          openOnArrival.current = false;
          const first = result.items[0];
          if (first) navigate({ name: 'study', studyInstanceUid: first.studyInstanceUid });
        }
      })
      .catch((e: unknown) => {
        const apiError = toApiError(e);
        if (apiError) setError(apiError);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [bridge, session.serverUrl, search, sort, attempt, toApiError]);

  const items = worklist?.items ?? [];
  const open = useCallback((item: WorklistItem | undefined) => {
    if (item) navigate({ name: 'study', studyInstanceUid: item.studyInstanceUid });
  }, []);

  const select = (index: number) => {
    const clamped = Math.max(0, Math.min(items.length - 1, index));
    setSelected(clamped);
    rowRefs.current[clamped]?.focus();
  };

  const onTableKey = (event: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowDown: selected + 1, ArrowUp: selected - 1, Home: 0, End: items.length - 1, PageDown: selected + 10, PageUp: selected - 10 };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      select(target);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      open(items[selected]);
    }
  };

  const toggleSort = (key: WorklistSortKey) =>
    setSort((current) => ({ sort: key, order: current.sort === key && current.order === 'asc' ? 'desc' : key === 'studyDate' && current.sort !== key ? 'desc' : 'asc' }));

  return (
    <main className="worklist-screen">
      <div className="worklist-toolbar">
        <h1>Worklist</h1>
        <input
          type="search"
          aria-label="Search studies"
          placeholder="Search patient, ID, accession, description"
          ref={searchRef}
          value={searchText}
          onChange={(e) => onSearchChange(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown' && items.length > 0) {
              e.preventDefault();
              select(0);
            } else if (e.key === 'Enter') {
              e.preventDefault();
              // The rows on screen answer an older text while the typed one is still on its way.
              if (search === searchText && !loading) open(items[selected]);
              else {
                openOnArrival.current = true;
                flushSearch();
              }
            }
          }}
        />
        <span className="worklist-count" aria-live="polite" data-testid="worklist-count">
          {loading ? 'Loading…' : `${items.length} ${items.length === 1 ? 'study' : 'studies'}`}
        </span>
      </div>
      {error && <ErrorBanner error={error} onRetry={() => setAttempt((n) => n + 1)} />}
      <table className="worklist" aria-label="Studies" onKeyDown={onTableKey}>
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th key={column.label} scope="col" aria-sort={column.sortKey && sort.sort === column.sortKey ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                {column.sortKey ? (
                  <button type="button" className="sort-button" onClick={() => toggleSort(column.sortKey as WorklistSortKey)}>
                    {column.label}
                    <span aria-hidden="true">{sort.sort === column.sortKey ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                ) : (
                  column.label
                )}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, index) => (
            <tr
              key={item.studyInstanceUid}
              ref={(row) => {
                rowRefs.current[index] = row;
              }}
              tabIndex={index === selected ? 0 : -1}
              aria-selected={index === selected}
              data-testid="worklist-row"
              data-study-uid={item.studyInstanceUid}
              onClick={() => setSelected(index)}
              onDoubleClick={() => open(item)}
            >
              {COLUMNS.map((column) => (
                <td key={column.label}>{column.cell(item)}</td>
              ))}
              <td>
                <button type="button" className="open-button" tabIndex={-1} aria-label={`Open study ${item.accessionNumber ?? ''}`.trim()} onClick={() => open(item)}>
                  Open
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && !error && items.length === 0 && <p className="empty">{search ? 'No study matches this search.' : 'There are no studies for you.'}</p>}
    </main>
  );
}
