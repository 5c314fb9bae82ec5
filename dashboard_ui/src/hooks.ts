// State the Campaigns and Daily sends sections keep alike, in one place.
import { useCallback, useEffect, useState } from "react";
import { getJson } from "./api";

/** A list a screen loads when it opens and again after each change: the rows (null while
 * loading), the error shown with a Retry, and load() itself. */
export function useList<T>(path: string, field: string): { rows: T[] | null; error: string; load: () => Promise<void> } {
  const [rows, setRows] = useState<T[] | null>(null);
  const [error, setError] = useState("");
  const load = useCallback(async () => {
    try {
      setRows((await getJson<Record<string, T[]>>(path))[field]);
      setError("");
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [path, field]);
  useEffect(() => {
    void load();
  }, [load]);
  return { rows, error, load };
}

/** One button's work at a time: ``busy`` names it (its button shows "Saving…" and is
 * disabled), the old messages are cleared first, and a refusal goes to ``fail`` (the fields'
 * messages; each screen keeps what else it shows). */
export function useAction(
  clear: () => void,
  fail: (e: unknown) => void,
): { busy: string; run: (what: string, work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState("");
  const run = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    clear();
    try {
      await work();
    } catch (e) {
      fail(e);
    } finally {
      setBusy("");
    }
  };
  return { busy, run };
}
