import { Box, Text, useTheme } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import { getJson } from "./api";
import { appBridge, notify, waitForToken } from "./bridge";
import { MessageLog } from "./screens/MessageLog";
import { Providers } from "./screens/Providers";
import { Rules } from "./screens/Rules";
import { Scheduled } from "./screens/Scheduled";
import { Settings } from "./screens/Settings";
import type { Metadata } from "./types";
import { ErrorBanner, Spinner } from "./ui";
import { useConfig } from "./useConfig";

const TABS = ["Providers", "Rules", "Scheduled", "Message log", "Settings"] as const;
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
      <Box as="nav" display="flex" gap={1} marginBottom={5} borderBottomStyle="solid" borderBottomWidth={1} borderColor="default1" role="tablist">
        {TABS.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={"tab" + (tab === t ? " active" : "")} onClick={() => choose(t)}>
            {t}
          </button>
        ))}
      </Box>
      {!me.can_configure && tab !== "Message log" && tab !== "Scheduled" && (
        <ErrorBanner message="You can look but not change: saving needs the MANAGE_APPS permission in Saleor." />
      )}
      {config.error && !config.config && <ErrorBanner message={config.error} onRetry={config.reload} />}
      {tab === "Providers" && <Providers state={config} metadata={metadata} canConfigure={me.can_configure} />}
      {tab === "Rules" && <Rules state={config} metadata={metadata} canConfigure={me.can_configure} />}
      {tab === "Scheduled" && <Scheduled canConfigure={me.can_configure} />}
      {tab === "Message log" && <MessageLog metadata={metadata} />}
      {tab === "Settings" && <Settings state={config} canConfigure={me.can_configure} />}
    </>
  );
}

export function App() {
  useDashboardTheme();
  const [me, setMe] = useState<{ email: string; can_configure: boolean } | null>(null);
  const [metadata, setMetadata] = useState<Metadata | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    (async () => {
      try {
        await waitForToken();
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
    <Box padding={6} backgroundColor="default1" className="app" style={{ minHeight: "100vh" }}>
      <Box display="flex" justifyContent="space-between" alignItems="baseline" marginBottom={4}>
        <Text as="h1" size={10} fontWeight="bold">SMS notifications</Text>
        {me && <Text size={2} color="default2">{me.email}</Text>}
      </Box>
      {error && <ErrorBanner message={error} onRetry={() => window.location.reload()} />}
      {!error && (!me || !metadata) && <Spinner label="Connecting to your Saleor…" />}
      {me && metadata && <Screens me={me} metadata={metadata} />}
    </Box>
  );
}
