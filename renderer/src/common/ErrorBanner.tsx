import type { ApiError } from '../api/api-error.ts';

/** One failure the user can act on: what happened, and the button that helps. */
export function ErrorBanner({ error, onRetry, onBack }: { error: ApiError; onRetry?: () => void; onBack?: () => void }) {
  return (
    <div className="error-banner" role="alert" data-testid="error-banner" data-error-code={error.code}>
      <p className="error-message">{error.message}</p>
      {error.requestId && <p className="error-reference">Reference for IT: {error.requestId}</p>}
      <div className="error-actions">
        {error.remedy === 'retry' && onRetry && (
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        )}
        {onBack && (
          <button type="button" className={error.remedy === 'back-to-worklist' ? '' : 'secondary'} onClick={onBack}>
            Back to worklist
          </button>
        )}
      </div>
    </div>
  );
}
