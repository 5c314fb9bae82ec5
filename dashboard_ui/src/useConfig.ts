// The configuration as loaded, edited locally, and saved with its revision:
// a save that lost a race comes back 409 and the page says so (nothing of the
// other person's work is overwritten), a 422 maps messages to fields.
import { useCallback, useEffect, useState } from "react";
import { ApiError, getJson, sendJson } from "./api";
import { notify } from "./bridge";
import type { AppConfig } from "./types";

export interface ConfigState {
  config: AppConfig | null;
  loading: boolean;
  saving: boolean;
  error: string;
  conflict: boolean;
  fieldErrors: Record<string, string>;
  reload: () => Promise<void>;
  save: (next: AppConfig) => Promise<boolean>;
}

export function useConfig(): ConfigState {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [loading, setLoading] = useState(true);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState("");
  const [conflict, setConflict] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  const reload = useCallback(async () => {
    setLoading(true);
    setError("");
    setConflict(false);
    setFieldErrors({});
    try {
      setConfig((await getJson<{ config: AppConfig }>("/config")).config);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const save = useCallback(
    async (next: AppConfig) => {
      setSaving(true);
      setError("");
      setFieldErrors({});
      try {
        const saved = await sendJson<{ config: AppConfig }>("PUT", "/config", {
          config: next,
          revision: next.revision,
        });
        setConfig(saved.config);
        notify("success", "Saved", "The SMS configuration was saved.");
        return true;
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(0, "unknown", String(e));
        if (err.status === 409 && err.code === "conflict") setConflict(true);
        if (err.status === 422) setFieldErrors(err.details);
        setError(err.message);
        notify("error", "Not saved", err.message);
        return false;
      } finally {
        setSaving(false);
      }
    },
    [],
  );

  return { config, loading, saving, error, conflict, fieldErrors, reload, save };
}
