import { useCallback } from 'react';
import { ApiError } from '../api/api-error.ts';
import { useSession } from '../app/session-context.ts';

/**
 * Turns a thrown value into the ApiError to show, or null when there is nothing to show: an
 * aborted request, or a session that is over (the app returns to login instead).
 */
export function useApiErrorHandler(): (error: unknown) => ApiError | null {
  const { endSession } = useSession();
  return useCallback(
    (error: unknown) => {
      if (error instanceof DOMException && error.name === 'AbortError') return null;
      const apiError = error instanceof ApiError ? error : new ApiError('UNEXPECTED', { message: `Something went wrong: ${String(error)}. Retry; call IT if it persists.` });
      if (apiError.code === 'SESSION_ENDED') {
        endSession(apiError.serverCode === 'SESSION_REVOKED' ? 'revoked' : 'expired');
        return null;
      }
      return apiError;
    },
    [endSession],
  );
}
