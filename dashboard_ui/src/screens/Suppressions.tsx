import { Box, Button, Text } from "@saleor/macaw-ui";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, getJson, request, sendJson } from "../api";
import { notify } from "../bridge";
import { shortTime } from "../format";
import type { ImportAnswer, SuppressionPage } from "../types";
import { ConfirmInPlace, ErrorBanner, FieldError, Labeled, Pager, Section, Spinner, controlStyle } from "../ui";

/** Where a number came from, in the merchant's words. */
function sourceText(source: string): string {
  return source === "manual" ? "added in the app" : `${source} (customer's reply or opt-out)`;
}

/** The shop's do-not-text list: who it must never text, and why. */
export function Suppressions({ canConfigure }: { canConfigure: boolean }) {
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const [data, setData] = useState<SuppressionPage | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState("");
  const [phone, setPhone] = useState("");
  const [reason, setReason] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [imported, setImported] = useState<ImportAnswer | null>(null);
  const file = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    setLoading(true);
    setError("");
    try {
      const params = new URLSearchParams({ page: String(page) });
      if (search.trim()) params.set("search", search.trim());
      setData(await getJson<SuppressionPage>(`/suppressions?${params}`));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setLoading(false);
    }
  }, [search, page]);

  useEffect(() => {
    const timer = window.setTimeout(load, 200);
    return () => window.clearTimeout(timer);
  }, [load]);

  const add = async () => {
    setBusy(true);
    setFieldErrors({});
    try {
      const answer = await sendJson<{ phone: string; added: boolean }>("POST", "/suppressions", { phone, reason });
      notify("success", answer.added ? `${answer.phone} will not be texted` : `${answer.phone} was on the list already`);
      setPhone("");
      setReason("");
      await load();
    } catch (e) {
      if (e instanceof ApiError && Object.keys(e.details).length) setFieldErrors(e.details);
      else setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (number: string) => {
    try {
      await request(`/suppressions/${encodeURIComponent(number)}`, { method: "DELETE" });
      notify("success", `${number} is off the list`);
      await load();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const importFile = async (chosen: File | undefined) => {
    if (!chosen) return;
    setBusy(true);
    setImported(null);
    try {
      const form = new FormData();
      form.append("file", chosen);
      const response = await request("/suppressions/import", { method: "POST", body: form });
      const answer = (await response.json()) as ImportAnswer;
      setImported(answer);
      notify(answer.problems.length ? "warning" : "success", `Imported ${answer.added} numbers`);
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.details.file) setFieldErrors({ file: e.details.file });
      else setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
      if (file.current) file.current.value = "";
    }
  };

  const exportCsv = async () => {
    try {
      const response = await request("/suppressions/export.csv");
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = "do-not-text.csv";
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      notify("error", "Export failed", e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <Section
      title="Suppressions"
      actions={
        <>
          <Button variant="secondary" onClick={() => file.current?.click()} disabled={!canConfigure || busy} data-testid="import-csv">Import CSV</Button>
          <Button variant="secondary" onClick={exportCsv} data-testid="export-suppressions">Export CSV</Button>
        </>
      }
    >
      <Text as="p" size={2} color="default2" marginBottom={4}>
        Numbers here get no texts from this shop, order updates included. Customers land here by texting STOP (or NIE,
        UNSUBSCRIBE, CANCEL, END, QUIT) and leave by texting START.
      </Text>
      <input ref={file} type="file" accept=".csv,text/csv,text/plain" hidden name="suppressions_file" onChange={(e) => void importFile(e.target.files?.[0])} />
      <FieldError message={fieldErrors.file} />
      {imported && (
        <Box padding={3} borderRadius={4} backgroundColor="default2" marginBottom={4} data-testid="import-result">
          <Text as="p" size={3} fontWeight="medium">
            {imported.added} added, {imported.already} already on the list{imported.problems.length ? `, ${imported.problems.length} ${imported.problems.length === 1 ? "line" : "lines"} not imported:` : "."}
          </Text>
          {imported.problems.length > 0 && (
            <table className="grid">
              <thead><tr><th>Line</th><th>Text</th><th>Why</th></tr></thead>
              <tbody>
                {imported.problems.map((p) => (
                  <tr key={p.line} data-testid="import-problem"><td>{p.line}</td><td><code>{p.text}</code></td><td>{p.reason}</td></tr>
                ))}
              </tbody>
            </table>
          )}
        </Box>
      )}
      {canConfigure && (
        <Box display="flex" gap={2} flexWrap="wrap" alignItems="flex-start" marginBottom={4}>
          <Labeled label="Phone number" error={fieldErrors.phone}>
            <input style={controlStyle} name="suppress_phone" placeholder="+48 601 234 567" value={phone} onChange={(e) => setPhone(e.target.value)} />
          </Labeled>
          <Labeled label="Why (optional)" error={fieldErrors.reason}>
            <input style={controlStyle} name="suppress_reason" placeholder="asked by e-mail" value={reason} onChange={(e) => setReason(e.target.value)} />
          </Labeled>
          <Box paddingTop={6}>
            <Button onClick={add} disabled={busy || !phone.trim()} data-testid="add-suppression">Add to the list</Button>
          </Box>
        </Box>
      )}
      <Box marginBottom={3}>
        <input style={{ ...controlStyle, width: "100%", boxSizing: "border-box" }} type="search" name="suppression_search" aria-label="Search numbers"
          placeholder="Search by digits, reason or source" value={search} onChange={(e) => { setSearch(e.target.value); setPage(1); }} />
      </Box>
      {error && <ErrorBanner message={error} onRetry={load} />}
      {loading && !data && <Spinner label="Loading the list…" />}
      <table className="grid">
        <thead><tr><th>Phone</th><th>Why</th><th>Source</th><th>Since</th><th /></tr></thead>
        <tbody>
          {data?.rows.map((row) => (
            <tr key={row.phone} data-testid="suppression-row">
              <td className="nowrap">{row.phone}</td>
              <td>{row.reason}</td>
              <td>{sourceText(row.source)}</td>
              <td className="nowrap">{shortTime(row.added_at)}</td>
              <td className="nowrap">
                {canConfigure && (
                  <ConfirmInPlace
                    label="Remove"
                    question="Text this number again?"
                    askLabel={`Remove ${row.phone}`}
                    confirmLabel={`Confirm removing ${row.phone}`}
                    onConfirm={() => void remove(row.phone)}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {data && data.rows.length === 0 && <Text as="p" color="default2" marginTop={3}>{search ? "No number matches." : "Nobody has opted out yet."}</Text>}
      {data && <Pager total={`${data.total} ${data.total === 1 ? "number" : "numbers"}`} page={data.page} pages={data.pages} onPage={setPage} testId="suppression-total" />}
    </Section>
  );
}
