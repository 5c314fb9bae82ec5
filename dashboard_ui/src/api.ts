// Calls to /api/dashboard with the dashboard token. A 401 for an expired token
// waits for the dashboard's next token (tokenRefresh) and retries once, so a
// page left open for longer than the token's five minutes keeps working.
import { appBridge, nextToken } from "./bridge";

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: Record<string, string> = {},
  ) {
    super(message);
  }
}

function headers(extra?: HeadersInit): Headers {
  const { token, saleorApiUrl } = appBridge.getState();
  const h = new Headers(extra);
  h.set("Authorization-Bearer", token ?? "");
  h.set("Saleor-Api-Url", saleorApiUrl ?? "");
  return h;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: Record<string, string> } } = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy or a crash; fall through to a generic message
  }
  const error = body.error ?? {};
  return new ApiError(
    response.status,
    error.code ?? "http_" + response.status,
    error.message ?? `The app answered ${response.status} ${response.statusText}`,
    typeof error.details === "object" && error.details ? error.details : {},
  );
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const send = () => fetch("/api/dashboard" + path, { ...init, headers: headers(init.headers) });
  let response: Response;
  try {
    response = await send();
  } catch {
    throw new ApiError(0, "network", "The app cannot be reached; check your connection and try again.");
  }
  if (response.status === 401) {
    const error = await errorOf(response);
    if (error.code !== "token_expired") throw error;
    await nextToken();
    response = await send();
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await request(path)).json() as Promise<T>;
}

export async function sendJson<T>(method: string, path: string, body: unknown): Promise<T> {
  const response = await request(path, {
    method,
    body: JSON.stringify(body),
    headers: { "Content-Type": "application/json" },
  });
  return response.json() as Promise<T>;
}

/** A refusal as field messages: each field the API named → its message, and "_" → the whole message. */
export function fieldErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return { _: String(e) };
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.details)) if (typeof v === "string") fields[k] = v;
  return { ...fields, _: e.message };
}
