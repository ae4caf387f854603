// The gate's HTTP server timeouts, in one place because nginx's configuration is ordered against
// them (docs/connections.md): nginx keeps idle connections to the gate for less time than the gate
// does, so the gate never closes a connection nginx is about to reuse. The stack runner checks
// that order at start (@reading-station/proxy-server/server-timeouts, stack/src/connection-budget.ts).
// No imports: the stack reads this without loading the gate.

/** How long the gate keeps an idle keep-alive connection open (Node's keepAliveTimeout). */
export const GATE_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The whole request (headers and body) must arrive within this (Node's requestTimeout). */
export const GATE_REQUEST_TIMEOUT_MS = 30_000;
/** Socket inactivity while a request is in progress (Fastify's connectionTimeout). */
export const GATE_CONNECTION_TIMEOUT_MS = 30_000;
