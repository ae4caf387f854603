import type { ReadingStationBridge } from '../bridge/bridge-contract.ts';
import { ApiError, apiErrorFromResponse } from './api-error.ts';

/**
 * A GET with the bridge's current access token, asked for this request (never kept). A 401
 * triggers one renewal and one retry; if that fails too the session is over.
 */
export async function authorizedFetch(
  bridge: Pick<ReadingStationBridge, 'getAccessToken' | 'refreshAccessToken'>,
  url: string,
  init: { accept?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const send = async (token: string): Promise<Response> => {
    try {
      return await fetch(url, {
        method: 'GET',
        cache: 'no-store',
        credentials: 'omit',
        headers: { Accept: init.accept ?? 'application/json', Authorization: `Bearer ${token}` },
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ApiError('SERVER_UNREACHABLE');
    }
  };
  const token = await askToken(() => bridge.getAccessToken());
  let response = await send(token);
  if (response.status === 401) {
    const renewed = await askToken(() => bridge.refreshAccessToken());
    response = await send(renewed);
  }
  if (!response.ok) throw await apiErrorFromResponse(response);
  return response;
}

async function askToken(ask: () => Promise<string | null>): Promise<string> {
  let token: string | null;
  try {
    token = await ask();
  } catch {
    throw new ApiError('SERVER_UNREACHABLE');
  }
  if (!token) throw new ApiError('SESSION_ENDED');
  return token;
}
