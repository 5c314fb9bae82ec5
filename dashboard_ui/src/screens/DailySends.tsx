// The Campaigns screen's "Daily sends" section: birthdays and anniversaries. A daily send
// texts, at an hour of each shop day, the customers whose date it is (a birthday key, or N
// days/months/years after joining, the last order or a date key, or every year on it; a
// birthday or yearly anniversary up to 30 days before), with the campaigns' audience filters
// and consent. List, create, edit, switch off, delete (a second click confirms), preview today's.
import { Box, Button, Text } from "@saleor/macaw-ui";
import { useRef, useState } from "react";
import { fieldErrors, request, sendJson } from "../api";
import { notify } from "../bridge";
import { EMPTY_AUDIENCE, audienceBody, newKey, segmentsWithOptOut } from "../campaigns";
import type { AudienceForm } from "../campaigns";
import { SOURCES, audienceForm, dayText, describe, hourText } from "../dailySends";
import type { AudiencePreview, DailySend } from "../types";

/** Today's preview, with the text its first customer would get (``years_ordinal`` filled in). */
type DailyPreview = AudiencePreview & {
  day: string;
  /** Customers today's run already texted (or logged left out): not texted again. */
  already_today: number;
  example_text: { name: string; text: string; segments: number } | null;
};
import type { ConfigState } from "../useConfig";
import { useAction, useList } from "../hooks";
import { ConfirmInPlace, ErrorBanner, FieldError, Labeled, Pill, Section, ShopTime, Spinner, controlStyle } from "../ui";
import { AudienceFields, AudiencePreviewBox } from "./Audience";

interface Form {
  name: string;
  enabled: boolean;
  hour: number;
  source: DailySend["source"];
  date_key: string;
  offset_amount: string;
  offset_unit: DailySend["offset_unit"];
  repeat: DailySend["repeat"];
  days_before: string;
  from_year: string;
  template: string;
}

const EMPTY_FORM: Form = {
  name: "",
  enabled: true,
  hour: 9,
  source: "birthday",
  date_key: "birthday",
  offset_amount: "0",
  offset_unit: "days",
  repeat: "once",
  days_before: "0",
  from_year: "1",
  template: "",
};

function formOf(send: DailySend): Form {
  return {
    ...send,
    offset_amount: String(send.offset_amount),
    days_before: String(send.days_before),
    from_year: String(send.from_year),
  };
}

/** A whole number typed in a field as a number; anything else as typed (the app says why). */
function whole(text: string): number | string {
  return /^\d+$/.test(text.trim()) ? Number(text) : text;
}

export function DailySends({ state, canConfigure }: { state: ConfigState; canConfigure: boolean }) {
  const settings = state.config?.settings;
  const { rows: sends, error: loadError, load } = useList<DailySend>("/daily-sends", "daily_sends");
  const [editing, setEditing] = useState<number | "new" | null>(null);
  const [form, setForm] = useState<Form>(EMPTY_FORM);
  const [audience, setAudience] = useState<AudienceForm>(EMPTY_AUDIENCE);
  const [preview, setPreview] = useState<DailyPreview | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  // One key per Save intent: a double click makes one daily send.
  const key = useRef(newKey());

  const { busy, run } = useAction(() => setErrors({}), (e) => setErrors(fieldErrors(e)));

  const change = (next: Partial<Form>) => {
    setForm({ ...form, ...next });
    // A field's message (and the banner) goes once that field is edited.
    if (Object.keys(next).some((name) => name in errors)) setErrors({});
    setPreview(null);
    key.current = newKey();
  };

  const open = (send: DailySend | null) => {
    setEditing(send ? send.id : "new");
    setForm(send ? formOf(send) : EMPTY_FORM);
    setAudience(send ? audienceForm(send.audience) : EMPTY_AUDIENCE);
    setPreview(null);
    setErrors({});
    key.current = newKey();
  };

  const body = (f: Form = form, a: AudienceForm = audience) => ({
    ...f,
    offset_amount: whole(f.offset_amount),
    // Days before are for birthdays and yearly anniversaries; a once-send has none.
    days_before: f.source === "birthday" || f.repeat === "yearly" ? whole(f.days_before) : 0,
    from_year: whole(f.from_year),
    audience: audienceBody(a),
  });

  const showPreview = () =>
    run("preview", async () => {
      // The id of the one being edited: those its day's run already reached are not counted.
      const edited = typeof editing === "number" ? { id: editing } : {};
      setPreview(await sendJson<DailyPreview>("POST", "/daily-sends/preview", { ...body(), ...edited }));
    });

  const save = () =>
    run("save", async () => {
      if (editing === "new") {
        const answer = await sendJson<{ daily_send: DailySend; created: boolean }>("POST", "/daily-sends", {
          ...body(),
          idempotency_key: key.current,
        });
        notify("success", answer.created ? `Daily send “${answer.daily_send.name}” saved` : "This daily send was already saved", "");
      } else if (editing !== null) {
        await sendJson("PUT", `/daily-sends/${editing}`, body());
        notify("success", `Daily send “${form.name}” saved`, "");
      }
      setEditing(null);
      await load();
    });

  const toggle = (send: DailySend) =>
    run("toggle" + send.id, async () => {
      await sendJson("PUT", `/daily-sends/${send.id}`, { ...send, enabled: !send.enabled });
      await load();
    });

  const remove = (send: DailySend) =>
    run("delete" + send.id, async () => {
      await request(`/daily-sends/${send.id}`, { method: "DELETE" });
      notify("success", `Daily send “${send.name}” deleted`, "Its texts stay in the message log.");
      if (editing === send.id) setEditing(null);
      await load();
    });

  const zone = settings?.shop_time_zone ?? "UTC";
  const live = segmentsWithOptOut(form.template, settings?.opt_out_line ?? "");
  const needsKey = form.source === "birthday" || form.source === "metadata_date";
  const yearly = form.source === "birthday" || form.repeat === "yearly";

  return (
    <Section
      title="Daily sends: birthdays and anniversaries"
      actions={<Button variant="secondary" disabled={!canConfigure || editing !== null} onClick={() => open(null)}>New daily send</Button>}
    >
      <Text as="p" size={2} color="default2" marginBottom={3}>
        Every day at the hour you pick ({zone}, the shop's time zone), a text to the customers whose date it is. Each customer gets each
        occurrence once. If the app was not running at that hour it sends later the same day; a day it missed completely is logged
        skipped. A 29 February birthday or anniversary is celebrated on 28 February in other years. Deleting a daily send keeps its
        texts in the message log.
      </Text>
      {loadError && <ErrorBanner message={loadError} onRetry={() => void load()} />}
      {!sends && !loadError && <Spinner label="Loading daily sends…" />}
      {sends && sends.length === 0 && editing === null && <Text color="default2">No daily send yet.</Text>}
      {sends && sends.length > 0 && (
        <table className="grid" data-testid="daily-sends-table">
          <thead><tr><th>Daily send</th><th>Next</th><th>Last days</th><th /></tr></thead>
          <tbody>
            {sends.map((s) => (
              <tr key={s.id} data-testid="daily-send-row">
                <td>
                  <Text fontWeight="medium">{s.name}</Text> <Pill color={s.enabled ? "#2e9b5f" : "#a0a7b4"}>{s.enabled ? "on" : "off"}</Pill>
                  <Text as="p" size={1} color="default2">{describe(s)}</Text>
                </td>
                <td>{s.next_run_at ? <ShopTime iso={s.next_run_at} zone={zone} /> : "—"}</td>
                <td>
                  {s.days.length === 0 && <Text size={1} color="default2">not run yet</Text>}
                  {s.days.slice(0, 3).map((d) => (
                    <Text as="p" size={1} key={d.day}>
                      {dayText(d)}
                    </Text>
                  ))}
                </td>
                <td className="actions">
                  <Button size="small" variant="secondary" disabled={!canConfigure || editing !== null} onClick={() => open(s)}>Edit</Button>
                  <Button size="small" variant="secondary" disabled={!canConfigure || busy === "toggle" + s.id} onClick={() => void toggle(s)}>
                    {s.enabled ? "Switch off" : "Switch on"}
                  </Button>
                  <ConfirmInPlace
                    label="Delete"
                    question="Delete it? Its texts stay in the log."
                    askLabel={`Delete ${s.name}`}
                    confirmLabel={`Confirm deleting ${s.name}`}
                    disabled={!canConfigure || busy === "delete" + s.id}
                    onConfirm={() => void remove(s)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing !== null && (
        <Box marginTop={4} data-testid="daily-send-form">
          <Text as="h3" size={5} fontWeight="bold" marginBottom={3}>{editing === "new" ? "New daily send" : `Edit “${form.name}”`}</Text>
          {errors._ && <ErrorBanner message={errors._} />}
          <Box display="grid" gap={3} style={{ gridTemplateColumns: "repeat(auto-fill, minmax(200px, 1fr))" }}>
            <Labeled label="Name" error={errors.name}>
              <input aria-label="Daily send name" style={controlStyle} value={form.name} placeholder="Birthday" onChange={(e) => change({ name: e.target.value })} />
            </Labeled>
            <Labeled label="Hour of the day" error={errors.hour}>
              <select aria-label="Hour" style={controlStyle} value={form.hour} onChange={(e) => change({ hour: Number(e.target.value) })}>
                {Array.from({ length: 24 }, (_, h) => <option key={h} value={h}>{hourText(h)}</option>)}
              </select>
            </Labeled>
            <Labeled label="Date" error={errors.source}>
              <select aria-label="Date" style={controlStyle} value={form.source} onChange={(e) => change({ source: e.target.value as Form["source"] })}>
                {SOURCES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
              </select>
            </Labeled>
            {needsKey && (
              <Labeled label="Metadata key with the date" error={errors.date_key} help={form.source === "birthday" ? "YYYY-MM-DD or MM-DD" : "YYYY-MM-DD"}>
                <input aria-label="Date key" style={controlStyle} value={form.date_key} onChange={(e) => change({ date_key: e.target.value })} />
              </Labeled>
            )}
            {form.source !== "birthday" && (
              <Labeled label="Repeat" error={errors.repeat}>
                <select aria-label="Repeat" style={controlStyle} value={form.repeat} onChange={(e) => change({ repeat: e.target.value as Form["repeat"] })}>
                  <option value="once">Once, some time after the date</option>
                  <option value="yearly">Every year on the date</option>
                </select>
              </Labeled>
            )}
            {form.source !== "birthday" && form.repeat === "yearly" && (
              <Labeled label="From year" error={errors.from_year} help="1: from the first anniversary on">
                <input aria-label="From year" inputMode="numeric" style={controlStyle} value={form.from_year} onChange={(e) => change({ from_year: e.target.value })} />
              </Labeled>
            )}
            {yearly && (
              <Labeled label="Days before" error={errors.days_before} help="0–30; 0 is the day itself">
                <input aria-label="Days before" inputMode="numeric" style={controlStyle} value={form.days_before} onChange={(e) => change({ days_before: e.target.value })} />
              </Labeled>
            )}
            {!yearly && (
              <>
                <Labeled label="After" error={errors.offset_amount}>
                  <input aria-label="Offset" inputMode="numeric" style={controlStyle} value={form.offset_amount} onChange={(e) => change({ offset_amount: e.target.value })} />
                </Labeled>
                <Labeled label="Unit" error={errors.offset_unit}>
                  <select aria-label="Offset unit" style={controlStyle} value={form.offset_unit} onChange={(e) => change({ offset_unit: e.target.value as Form["offset_unit"] })}>
                    <option value="days">days</option>
                    <option value="months">months</option>
                    <option value="years">years</option>
                  </select>
                </Labeled>
              </>
            )}
          </Box>
          <Text as="p" size={2} fontWeight="medium" marginTop={3} marginBottom={2}>Only these customers (the campaigns' filters; empty: everybody)</Text>
          <AudienceFields audience={audience} errors={errors} onChange={(next) => { setAudience(next); setPreview(null); key.current = newKey(); }} />
          <Labeled label="Text" error={errors.template} help={`${live} segment${live === 1 ? "" : "s"} per message with the opt-out line. Tokens: {{ customer.first_name }}, {{ shop.name }}, {{ years }} and {{ years_ordinal }} (which anniversary: 3, “3rd”; a birthday's age), {{ days_before }}, {{ short_link("https://…") }}`}>
            <textarea aria-label="Daily send text" rows={3} style={controlStyle} value={form.template} onChange={(e) => change({ template: e.target.value })} />
          </Labeled>
          <label><input type="checkbox" checked={form.enabled} onChange={(e) => change({ enabled: e.target.checked })} /> On</label>
          <Box display="flex" gap={2} marginTop={3}>
            <Button variant="secondary" onClick={() => void showPreview()} disabled={busy === "preview"}>{busy === "preview" ? "Counting…" : "Preview today"}</Button>
            <Button variant="primary" disabled={!canConfigure || busy === "save"} onClick={() => void save()}>{busy === "save" ? "Saving…" : "Save"}</Button>
            <Button variant="tertiary" onClick={() => setEditing(null)}>Close</Button>
          </Box>
          <FieldError message={errors.audience} />
          {preview && <AudiencePreviewBox preview={preview} lead={`Today (${preview.day}): `} />}
          {preview && preview.already_today > 0 && (
            <Text as="p" size={2} marginTop={2} data-testid="already-today">
              {preview.already_today} already texted today by today's run (or logged left out then): nobody gets it twice, so they are
              not counted above.
            </Text>
          )}
          {preview?.example_text && (
            <Box marginTop={2} data-testid="example-text">
              <Text as="p" size={2} color="default2">
                {preview.example_text.name} would get ({preview.example_text.segments} SMS):
              </Text>
              <Text as="p" style={{ whiteSpace: "pre-wrap" }}>{preview.example_text.text}</Text>
            </Box>
          )}
        </Box>
      )}
    </Section>
  );
}
