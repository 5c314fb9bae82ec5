// The App Bridge: the Saleor dashboard hands us a token (handshake, then
// tokenRefresh before it expires), the theme and locale; we ask it to show
// notifications and to open orders. Everything else goes through api.ts.
import { AppBridge, actions, type ThemeType } from "@saleor/app-sdk/app-bridge";

const params = new URLSearchParams(window.location.search);

export const initialTheme: ThemeType = params.get("theme") === "dark" ? "dark" : "light";

export const appBridge = new AppBridge({
  saleorApiUrl: params.get("saleorApiUrl") ?? undefined,
  initialTheme,
  autoNotifyReady: true,
});

/**
 * Resolves with a token as soon as the dashboard has sent one. It waits as long
 * as it takes: a page opened outside the Dashboard never gets one, and App says
 * so after HANDSHAKE_GRACE_MS while still listening (a slow Dashboard may answer late).
 */
export function waitForToken(): Promise<string> {
  const current = appBridge.getState().token;
  if (current) return Promise.resolve(current);
  return new Promise((resolve) => {
    const unsubscribe = appBridge.subscribe("handshake", ({ token }) => {
      unsubscribe();
      resolve(token);
    });
  });
}

/** Resolves with the next token the dashboard sends (after ours expired). */
export function nextToken(timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const stops: (() => void)[] = [];
    const done = (token: string) => {
      window.clearTimeout(timer);
      stops.forEach((stop) => stop());
      resolve(token);
    };
    const timer = window.setTimeout(() => {
      stops.forEach((stop) => stop());
      reject(new Error("Your Saleor session expired; reload the page."));
    }, timeoutMs);
    stops.push(appBridge.subscribe("tokenRefresh", ({ token }) => done(token)));
    stops.push(appBridge.subscribe("handshake", ({ token }) => done(token)));
    // Ask the dashboard for a fresh handshake; it answers notifyReady with one.
    appBridge.sendNotifyReadyAction();
  });
}

/** A toast in the dashboard; never throws (the dashboard may not answer in tests). */
export function notify(status: "info" | "success" | "warning" | "error", title: string, text = ""): void {
  appBridge.dispatch(actions.Notification({ status, title, text })).catch(() => undefined);
}

/** Open an order in the dashboard (not inside our iframe). */
export function openOrder(orderId: string): void {
  appBridge
    .dispatch(actions.Redirect({ to: `/orders/${encodeURIComponent(orderId)}` }))
    .catch(() => notify("error", "Could not open the order", "The dashboard did not answer."));
}
