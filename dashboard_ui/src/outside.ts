// The page opened on its own (a bookmark, a pasted URL) instead of inside the
// Saleor Dashboard never gets a handshake: after a short wait it says where it
// works and how to get there, instead of spinning for ever.

/** How long the page waits for the Dashboard's handshake before explaining (it keeps waiting). */
export const HANDSHAKE_GRACE_MS = 4000;

/**
 * The manifest URL of the app serving this page: the page is `<APP_URL>/app`
 * and the manifest `<APP_URL>/api/manifest` (APP_URL may carry a path).
 */
export function manifestUrlFor(pageUrl: string): string {
  const url = new URL(pageUrl);
  const base = url.pathname.replace(/\/app\/?$/, "").replace(/\/$/, "");
  return `${url.origin}${base}/api/manifest`;
}

/** Whether the page runs in a frame (the Dashboard's) or as a window of its own. */
export function isFramed(win: Window): boolean {
  try {
    return win.self !== win.top;
  } catch {
    return true; // a cross-origin parent cannot be read: framed
  }
}
