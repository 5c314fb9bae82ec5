// A list a screen loads when it opens and again after each change (the campaigns, the daily
// sends): the rows (null while loading), the error shown with a Retry, and load() itself.
import { useCallback, useEffect, useState } from "react";
import { getJson } from "./api";

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
