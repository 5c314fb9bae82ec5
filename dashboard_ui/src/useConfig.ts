// The configuration as loaded, edited locally, and saved with its revision:
// a save that lost a race comes back 409 and the page says so (nothing of the
// other person's work is overwritten), a 422 maps messages to fields.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, getJson, sendJson } from "./api";
import { notify } from "./bridge";
import { rebase } from "./format";
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

/**
 * A screen's local edits of one part of the configuration. They follow the
 * loaded configuration (a save or a reload replaces them), except through
 * `reloadKeeping`: after a 409 it loads what the other person saved and puts
 * this screen's edits back on top of it (`rebase`: what was changed here
 * wins, everything else is theirs), so the merchant reviews and saves again
 * instead of typing everything anew.
 */
export function useDraft<T>(
  state: ConfigState,
  pick: (config: AppConfig) => T,
): [T | null, (next: T) => void, (mine: T) => Promise<void>] {
  const [draft, setDraft] = useState<T | null>(state.config ? pick(state.config) : null);
  const kept = useRef<{ base: T; mine: T } | null>(null);
  useEffect(() => {
    if (!state.config) return;
    const theirs = pick(state.config);
    setDraft(kept.current ? rebase(kept.current.base, kept.current.mine, theirs) : theirs);
    kept.current = null;
    // `pick` is a plain accessor; only a new configuration resets the draft.
  }, [state.config]);
  const { reload, config } = state;
  const reloadKeeping = useCallback(
    async (mine: T) => {
      if (config) kept.current = { base: pick(config), mine };
      await reload();
    },
    // `pick` is a plain accessor, the same on every render.
    [reload, config],
  );
  return [draft, setDraft, reloadKeeping];
}
