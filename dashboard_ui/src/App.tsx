import { Box, Text, useTheme } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import { getJson } from "./api";
import { appBridge, notify, waitForToken } from "./bridge";
import { HANDSHAKE_GRACE_MS, isFramed, manifestUrlFor } from "./outside";
import { Campaigns } from "./screens/Campaigns";
import { MessageLog } from "./screens/MessageLog";
import { Providers } from "./screens/Providers";
import { Rules } from "./screens/Rules";
import { Scheduled } from "./screens/Scheduled";
import { SendSms, popupTarget } from "./screens/SendSms";
import { SendToCustomers } from "./screens/SendToCustomers";
import { Settings } from "./screens/Settings";
import { Suppressions } from "./screens/Suppressions";
import type { Metadata } from "./types";
import { ErrorBanner, Spinner } from "./ui";
import { useConfig } from "./useConfig";

/** The order and customer pages' and the customer list's "Send SMS" popup: the same
 * page at /app/send-sms. It needs only its own resource's permission, so it does not
 * load what the main page loads (/me and /metadata need MANAGE_ORDERS). */
const isPopup = window.location.pathname.replace(/\/+$/, "").endsWith("/send-sms");
const target = isPopup ? popupTarget(window.location.search) : null;

const TABS = ["Providers", "Rules", "Campaigns", "Scheduled", "Message log", "Suppressions", "Settings"] as const;
type Tab = (typeof TABS)[number];

// Storage can be denied to a third-party iframe (browser privacy settings): the
// page then simply forgets the last tab.
function remembered(key: string): string | null {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function remember(key: string, value: string): void {
  try {
    window.sessionStorage.setItem(key, value);
  } catch {
    // not allowed here; nothing to keep
  }
}

function useDashboardTheme() {
  const { setTheme } = useTheme();
  useEffect(() => {
    const apply = (theme: string) => {
      setTheme(theme === "dark" ? "defaultDark" : "defaultLight");
      document.documentElement.dataset.theme = theme;
    };
    apply(appBridge.getState().theme);
    return appBridge.subscribe("theme", ({ theme }) => apply(theme));
  }, [setTheme]);
}

/** What a page that got no handshake says: where it works and how to get there. */
function OutsideDashboard() {
  const framed = isFramed(window);
  return (
    <Box role="status" data-testid="outside-dashboard" padding={5} borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} style={{ maxWidth: 640 }}>
      <Text as="h2" size={7} fontWeight="bold" marginBottom={3}>This page works inside the Saleor Dashboard</Text>
      <Text as="p" size={3} marginBottom={3}>
        {framed
          ? "The page around this one did not introduce itself as a Saleor Dashboard, so it cannot show your shop's SMS settings."
          : "It was opened on its own, so it does not know which shop you are signed in to."}
      </Text>
      <Text as="p" size={3} marginBottom={2}>To open it:</Text>
      <Box as="ol" margin={0} paddingLeft={5} marginBottom={3}>
        <li><Text size={3}>Sign in to your Saleor Dashboard.</Text></li>
        <li><Text size={3}>Go to <b>Extensions</b> (called <b>Apps</b> in older Dashboards) and open <b>SMS notifications</b>.</Text></li>
        <li>
          <Text size={3}>
            Not there yet? Choose <b>Add extension → Install from manifest</b> and paste <code data-testid="manifest-url">{manifestUrlFor(window.location.href)}</code>
          </Text>
        </li>
      </Box>
      <Text as="p" size={2} color="default2">This page keeps listening: if the Dashboard answers late, it carries on by itself.</Text>
    </Box>
  );
}

function Screens({ me, metadata }: { me: { email: string; can_configure: boolean }; metadata: Metadata }) {
  const [tab, setTab] = useState<Tab>(() => {
    const saved = remembered("sms-tab");
    return (TABS as readonly string[]).includes(saved ?? "") ? (saved as Tab) : "Providers";
  });
  const config = useConfig();
  const choose = (t: Tab) => {
    setTab(t);
    remember("sms-tab", t);
  };
  return (
    <>
      {/* The Dashboard already shows the app's name above the frame: the tabs come first. */}
      <Box as="nav" display="flex" alignItems="center" gap={1} marginBottom={5} borderBottomStyle="solid" borderBottomWidth={1} borderColor="default1">
        <Box display="flex" gap={1} role="tablist">
          {TABS.map((t) => (
            <button key={t} role="tab" aria-selected={tab === t} className={"tab" + (tab === t ? " active" : "")} onClick={() => choose(t)}>
              {t}
            </button>
          ))}
        </Box>
        <Text size={2} color="default2" marginLeft="auto" data-testid="signed-in-as">{me.email}</Text>
      </Box>
      {!me.can_configure && tab !== "Message log" && tab !== "Scheduled" && tab !== "Suppressions" && (
        <ErrorBanner message="You can look but not change: saving needs the MANAGE_APPS permission in Saleor." />
      )}
      {config.error && !config.config && <ErrorBanner message={config.error} onRetry={config.reload} />}
      {tab === "Providers" && <Providers state={config} metadata={metadata} canConfigure={me.can_configure} />}
      {tab === "Rules" && <Rules state={config} metadata={metadata} canConfigure={me.can_configure} />}
      {tab === "Campaigns" && <Campaigns state={config} canConfigure={me.can_configure} />}
      {tab === "Scheduled" && <Scheduled canConfigure={me.can_configure} zone={config.config?.settings.shop_time_zone ?? "UTC"} />}
      {tab === "Message log" && <MessageLog metadata={metadata} />}
      {tab === "Suppressions" && <Suppressions canConfigure={me.can_configure} />}
      {tab === "Settings" && <Settings state={config} canConfigure={me.can_configure} />}
    </>
  );
}

export function App() {
  useDashboardTheme();
  const [me, setMe] = useState<{ email: string; can_configure: boolean } | null>(null);
  const [metadata, setMetadata] = useState<Metadata | null>(null);
  const [error, setError] = useState("");
  const [overdue, setOverdue] = useState(false);

  useEffect(() => {
    const timer = window.setTimeout(() => setOverdue(true), HANDSHAKE_GRACE_MS);
    void waitForToken().then(() => {
      window.clearTimeout(timer);
      setOverdue(false);
    });
    return () => window.clearTimeout(timer);
  }, []);

  const [connected, setConnected] = useState(false);
  useEffect(() => {
    (async () => {
      try {
        await waitForToken();
        setConnected(true);
        if (isPopup) return;
        const [who, meta] = await Promise.all([getJson<{ email: string; can_configure: boolean }>("/me"), getJson<Metadata>("/metadata")]);
        setMe(who);
        setMetadata(meta);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        setError(message);
        notify("error", "SMS app", message);
      }
    })();
  }, []);

  return (
    <Box paddingX={6} paddingY={4} backgroundColor="default1" className="app" style={{ minHeight: "100vh" }}>
      {error && <ErrorBanner message={error} onRetry={() => window.location.reload()} />}
      {!error && !(isPopup ? connected : me && metadata) && (overdue ? <OutsideDashboard /> : <Spinner label="Connecting to your Saleor…" />)}
      {me && metadata && !isPopup && <Screens me={me} metadata={metadata} />}
      {connected && isPopup && !target && <ErrorBanner message="Saleor did not say whom to text: open Send SMS from an order's or a customer's page, or tick customers in the customer list." />}
      {connected && target && target.kind !== "customers" && <SendSms target={target} />}
      {connected && target && target.kind === "customers" && <SendToCustomers ids={target.ids} />}
    </Box>
  );
}
