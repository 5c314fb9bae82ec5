import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify } from "../bridge";
import { fieldErrors, same, shortTime } from "../format";
import { countSegments, transliterate, unicodeRuns } from "../segments";
import { filterTokens, groupTokens, insertToken } from "../tokens";
import type { Metadata, OrderSummary, Rule } from "../types";
import { ErrorBanner, FieldError, Labeled, Pill, Section, Spinner, controlStyle } from "../ui";
import { useDraft, type ConfigState } from "../useConfig";
import { LanguageTabs } from "./LanguageTabs";
import { CHARGE_STATUSES, ConditionFields, conditionsText } from "./RuleConditions";

interface PreviewAnswer {
  text: string;
  problems: string[];
  sample: boolean;
  /** Whether the picked order meets the rule's conditions (null for the sample order). */
  matches: boolean | null;
  failing: string | null;
  /** The picked order's language, and which of the rule's texts it gets (null: the default). */
  order_language: string | null;
  text_language: string | null;
}

function TokenPicker({ metadata, onPick }: { metadata: Metadata; onPick: (name: string) => void }) {
  const [query, setQuery] = useState("");
  const groups = groupTokens(filterTokens(metadata.tokens, query));
  return (
    <Box borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} padding={2} className="token-picker">
      <input style={{ ...controlStyle, width: "100%", boxSizing: "border-box" }} placeholder="Find a token…"
        aria-label="Find a token" value={query} onChange={(e) => setQuery(e.target.value)} />
      <Box className="token-list" marginTop={2}>
        {groups.map(([group, tokens]) => (
          <Box key={group} marginBottom={2}>
            <Text size={1} color="default2" fontWeight="bold">{group.replace("_", " ").toUpperCase()}</Text>
            {tokens.map((t) => (
              <button key={t.name} type="button" className="token" title={`${t.description} — e.g. ${t.example}`} onClick={() => onPick(t.name)}>
                <code>{t.name}</code>
                <span>{t.description}</span>
              </button>
            ))}
          </Box>
        ))}
        {groups.length === 0 && <Text size={2} color="default2">No token matches.</Text>}
      </Box>
    </Box>
  );
}

export function SegmentMeter({ text }: { text: string }) {
  const info = countSegments(text);
  return (
    <Box display="flex" gap={3} alignItems="center" flexWrap="wrap" data-testid="segment-meter">
      <Pill color={info.encoding === "GSM-7" ? "#2e9b5f" : "#c57a1d"}>{info.encoding}</Pill>
      <Text size={2} data-testid="segment-count">
        {info.segments} SMS · {info.units} {info.encoding === "GSM-7" ? "characters" : "units"} · {info.remaining} left
      </Text>
      {info.unicodeCharacters.length > 0 && (
        <Text size={2} color="default2">
          Unicode because of: {info.unicodeCharacters.map((c) => <mark key={c} className="ucs">{c === " " ? "␣" : c}</mark>)}
        </Text>
      )}
    </Box>
  );
}

const UNITS: [string, number][] = [
  ["minutes", 1],
  ["hours", 60],
  ["days", 1440],
];

/** "2 h", "7 days": how a wait reads in the rules table. */
export function durationText(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} ${minutes === 1440 ? "day" : "days"}`;
  if (minutes % 60 === 0) return `${minutes / 60} h`;
  return `${minutes} min`;
}

function DurationInput({ label, name, minutes, onChange, error, help, optional }: {
  label: string; name: string; minutes: number | null; onChange: (m: number | null) => void; error?: string; help?: string; optional?: boolean;
}) {
  const initialUnit = minutes && minutes % 1440 === 0 ? 1440 : minutes && minutes % 60 === 0 ? 60 : 1;
  const [unit, setUnit] = useState(initialUnit);
  const amount = minutes === null ? "" : String(minutes / unit);
  return (
    <Labeled label={label} error={error} help={help}>
      <Box display="flex" gap={2}>
        <input style={{ ...controlStyle, width: 110 }} name={name} type="number" min={optional ? 1 : 0} step={1} value={amount}
          placeholder={optional ? "no limit" : "0"}
          onChange={(e) => {
            const raw = e.target.value.trim();
            if (raw === "") return onChange(optional ? null : 0);
            const n = Number(raw);
            onChange(Number.isFinite(n) ? Math.round(n * unit) : optional ? null : 0);
          }} />
        <select style={controlStyle} aria-label={`${label} unit`} value={unit}
          onChange={(e) => {
            const next = Number(e.target.value);
            setUnit(next);
            if (minutes !== null) onChange(Math.round((minutes / unit) * next));
          }}>
          {UNITS.map(([text, size]) => <option key={text} value={size}>{text}</option>)}
        </select>
      </Box>
    </Labeled>
  );
}

function Ticks({ label, options, chosen, onChange, error }: {
  label: string; options: [string, string][]; chosen: string[]; onChange: (next: string[]) => void; error?: string;
}) {
  return (
    <>
      <Text size={2} fontWeight="medium" color="default2">{label}</Text>
      <Box display="flex" flexWrap="wrap" gap={2} marginBottom={2} marginTop={1}>
        {options.map(([value, text]) => (
          <Box as="label" key={value} display="flex" gap={1} alignItems="center">
            <input type="checkbox" checked={chosen.includes(value)}
              onChange={() => onChange(chosen.includes(value) ? chosen.filter((v) => v !== value) : [...chosen, value])} />
            <Text size={2}>{text}</Text>
          </Box>
        ))}
      </Box>
      <FieldError message={error} />
    </>
  );
}

/** What a rule's delay and "send only if" say, in a few words for the table. */
export function whenText(rule: Rule): string {
  const only = rule.send_only_if;
  const ifs = [
    only.statuses.length ? `status ${only.statuses.map((s) => s.toLowerCase()).join("/")}` : "",
    only.statuses_not.length ? `not ${only.statuses_not.map((s) => s.toLowerCase()).join("/")}` : "",
    only.charge_statuses.length ? CHARGE_STATUSES.filter(([v]) => only.charge_statuses.includes(v)).map(([, t]) => t).join("/") : "",
    only.not_cancelled ? "not cancelled" : "",
    only.not_fulfilled ? "not fulfilled" : "",
    only.not_refunded ? "not refunded" : "",
  ].filter(Boolean);
  const wait = rule.delay_minutes ? `after ${durationText(rule.delay_minutes)}` : "";
  return [wait, ifs.length ? `if ${ifs.join(", ")}` : ""].filter(Boolean).join(" ");
}

function RuleEditor({ rule, metadata, errors, optOutLine, onChange }: { rule: Rule; metadata: Metadata; errors: Record<string, string>; optOutLine: string; onChange: (r: Rule) => void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [orders, setOrders] = useState<OrderSummary[]>([]);
  const [orderId, setOrderId] = useState("");
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [previewError, setPreviewError] = useState("");
  // The text being edited: "" is the default one, else a language code.
  const [language, setLanguage] = useState("");
  // Set when another order is picked: the next preview opens the text that order gets.
  const followOrder = useRef(false);
  const templates = rule.templates ?? {};
  const text = language ? templates[language] ?? "" : rule.template;
  const setText = (next: string) =>
    onChange(language ? { ...rule, templates: { ...templates, [language]: next } } : { ...rule, template: next });

  useEffect(() => {
    getJson<{ orders: OrderSummary[] }>("/orders/recent")
      .then((r) => {
        setOrders(r.orders);
        if (r.orders[0]) setOrderId(r.orders[0].id);
      })
      .catch((e: Error) => setPreviewError(`Recent orders could not be loaded: ${e.message}`));
  }, []);

  useEffect(() => {
    const timer = window.setTimeout(async () => {
      setPreviewing(true);
      try {
        const answer = await sendJson<PreviewAnswer>("POST", "/preview", { template: text, order_id: orderId || null, rule, marketing: !!rule.marketing, opt_out_line: optOutLine });
        setPreview(answer);
        setPreviewError("");
        if (followOrder.current) {
          followOrder.current = false;
          const picked = answer.text_language ?? "";
          if (picked !== language) setLanguage(picked);
        }
      } catch (e) {
        setPreviewError(e instanceof ApiError ? e.message : String(e));
      } finally {
        setPreviewing(false);
      }
    }, 250);
    return () => window.clearTimeout(timer);
  }, [text, language, orderId, JSON.stringify(rule.conditions), JSON.stringify(rule.templates), JSON.stringify(rule.send_only_if), rule.delay_minutes, rule.send_no_later_than_minutes, rule.marketing, optOutLine]);

  const pick = (name: string) => {
    const el = area.current;
    const inserted = insertToken(text, el?.selectionStart ?? text.length, el?.selectionEnd ?? text.length, name);
    setText(inserted.text);
    const cursor = inserted.cursor;
    window.requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(cursor, cursor);
    });
  };
  const toggleStatus = (status: string) => {
    const statuses = rule.conditions.statuses.includes(status)
      ? rule.conditions.statuses.filter((s) => s !== status)
      : [...rule.conditions.statuses, status];
    onChange({ ...rule, conditions: { ...rule.conditions, statuses } });
  };
  const shown = preview?.text ?? "";
  const templateInfo = countSegments(text);

  return (
    <Box display="grid" gridTemplateColumns={{ mobile: 1, desktop: 2 }} gap={5} marginTop={4} data-testid="rule-editor">
      <Box>
        <Labeled label="Name" error={errors.name}>
          <input style={controlStyle} name="rule_name" value={rule.name} onChange={(e) => onChange({ ...rule, name: e.target.value })} />
        </Labeled>
        <Labeled label="When" error={errors.event}>
          <select style={controlStyle} name="rule_event" value={rule.event} onChange={(e) => onChange({ ...rule, event: e.target.value })}>
            {metadata.events.map((ev) => <option key={ev.name} value={ev.name}>{ev.label}</option>)}
          </select>
        </Labeled>
        <Text size={2} fontWeight="medium" color="default2">Only for orders in status (none ticked = any)</Text>
        <Box display="flex" flexWrap="wrap" gap={2} marginBottom={3} marginTop={1}>
          {metadata.order_statuses.map((s) => (
            <Box as="label" key={s} display="flex" gap={1} alignItems="center">
              <input type="checkbox" checked={rule.conditions.statuses.includes(s)} onChange={() => toggleStatus(s)} />
              <Text size={2}>{s.toLowerCase().replace(/_/g, " ")}</Text>
            </Box>
          ))}
        </Box>
        <FieldError message={errors["conditions.statuses"]} />
        <Labeled label="Only for channels (comma-separated slugs, empty = all)" error={errors["conditions.channels"]}>
          <input style={controlStyle} value={rule.conditions.channels.join(", ")}
            onChange={(e) => onChange({ ...rule, conditions: { ...rule.conditions, channels: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) } })} />
        </Labeled>
        <ConditionFields rule={rule} errors={errors} onChange={onChange} />
        <Box borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} padding={3} marginBottom={3} data-testid="delay-fields">
          <DurationInput label="Wait before sending" name="rule_delay" minutes={rule.delay_minutes} error={errors.delay_minutes}
            help="0 sends at once. Up to 90 days; the order is fetched again when the wait is over."
            onChange={(m) => onChange({ ...rule, delay_minutes: m ?? 0 })} />
          {rule.delay_minutes > 0 && (
            <DurationInput label="Send no later than (after the due time)" name="rule_send_no_later_than" optional
              minutes={rule.send_no_later_than_minutes} error={errors.send_no_later_than_minutes}
              help="If the app was down when the text was due, it is still sent this long after; later it is skipped as expired."
              onChange={(m) => onChange({ ...rule, send_no_later_than_minutes: m })} />
          )}
          <Text as="p" size={2} fontWeight="bold" marginBottom={1}>Send only if{rule.delay_minutes > 0 ? " (checked again when the wait is over)" : ""}</Text>
          <Ticks label="Order status is one of (none ticked = any)" error={errors["send_only_if.statuses"]}
            options={metadata.order_statuses.map((s) => [s, s.toLowerCase().replace(/_/g, " ")])}
            chosen={rule.send_only_if.statuses} onChange={(statuses) => onChange({ ...rule, send_only_if: { ...rule.send_only_if, statuses } })} />
          <Ticks label="Order status is none of" error={errors["send_only_if.statuses_not"]}
            options={metadata.order_statuses.map((s) => [s, s.toLowerCase().replace(/_/g, " ")])}
            chosen={rule.send_only_if.statuses_not} onChange={(statuses_not) => onChange({ ...rule, send_only_if: { ...rule.send_only_if, statuses_not } })} />
          <Ticks label="Payment is (none ticked = any)" error={errors["send_only_if.charge_statuses"]} options={CHARGE_STATUSES}
            chosen={rule.send_only_if.charge_statuses} onChange={(charge_statuses) => onChange({ ...rule, send_only_if: { ...rule.send_only_if, charge_statuses } })} />
          <Box display="flex" gap={4} flexWrap="wrap">
            {(["not_cancelled", "not_fulfilled", "not_refunded"] as const).map((flag) => (
              <Box as="label" key={flag} display="flex" gap={1} alignItems="center">
                <input type="checkbox" name={`rule_${flag}`} checked={rule.send_only_if[flag]}
                  onChange={(e) => onChange({ ...rule, send_only_if: { ...rule.send_only_if, [flag]: e.target.checked } })} />
                <Text size={2}>{flag.replace("_", " ")}</Text>
              </Box>
            ))}
          </Box>
        </Box>
        <Text size={2} fontWeight="medium" color="default2">Send to</Text>
        <Box display="flex" gap={4} marginBottom={2} marginTop={1}>
          <Box as="label" display="flex" gap={1} alignItems="center">
            <input type="checkbox" name="to_customer" checked={rule.recipients.customer} onChange={(e) => onChange({ ...rule, recipients: { ...rule.recipients, customer: e.target.checked } })} />
            <Text size={2}>the customer</Text>
          </Box>
          <Box as="label" display="flex" gap={1} alignItems="center">
            <input type="checkbox" name="to_staff" checked={rule.recipients.staff} onChange={(e) => onChange({ ...rule, recipients: { ...rule.recipients, staff: e.target.checked } })} />
            <Text size={2}>staff numbers (Settings)</Text>
          </Box>
        </Box>
        <Labeled label="…and these numbers (comma-separated)" error={Object.entries(errors).find(([k]) => k.startsWith("recipients.numbers"))?.[1]}>
          <input style={controlStyle} name="rule_numbers" value={rule.recipients.numbers.join(", ")}
            onChange={(e) => onChange({ ...rule, recipients: { ...rule.recipients, numbers: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) } })} />
        </Labeled>
        <Box as="label" display="flex" gap={1} alignItems="center" marginBottom={3}>
          <input type="checkbox" name="rule_marketing" checked={!!rule.marketing}
            onChange={(e) => onChange({ ...rule, marketing: e.target.checked, transactional: e.target.checked ? false : rule.transactional })} />
          <Text size={2}>Marketing text (an offer, not news about the order): ends with the opt-out line of Settings</Text>
        </Box>
        <Box as="label" display="flex" gap={1} alignItems="center" marginBottom={1}>
          <input type="checkbox" name="rule_transactional" checked={!!rule.transactional} disabled={!!rule.marketing}
            onChange={(e) => onChange({ ...rule, transactional: e.target.checked })} />
          <Text size={2}>Transactional: send at any hour</Text>
        </Box>
        <Text as="p" size={1} color="default2" marginBottom={3}>
          Otherwise the text waits for the recipient's quiet hours to end and counts towards the marketing caps (Settings).
        </Text>
        <FieldError message={errors.transactional} />
      </Box>
      <Box>
        <LanguageTabs languages={Object.keys(templates)} active={language} onPick={setLanguage}
          onAdd={(code) => { onChange({ ...rule, templates: { ...templates, [code]: rule.template } }); setLanguage(code); }}
          onRemove={(code) => { onChange({ ...rule, templates: Object.fromEntries(Object.entries(templates).filter(([k]) => k !== code)) }); setLanguage(""); }} />
        <Labeled label={language ? `Message in ${language}` : "Message"} error={language ? errors[`templates.${language}`] ?? errors.templates : errors.template ?? errors.templates}>
          <textarea ref={area} name="rule_template" style={{ ...controlStyle, minHeight: 110, fontFamily: "inherit" }} value={text}
            onChange={(e) => setText(e.target.value)} />
        </Labeled>
        {templateInfo.unicodeCharacters.length > 0 && (
          <Box display="flex" gap={2} alignItems="center" marginBottom={3} flexWrap="wrap">
            <Text size={2}>
              {templateInfo.unicodeCharacters.map((c) => <mark key={c} className="ucs">{c}</mark>)} make this a Unicode SMS (70 characters per SMS instead of 160).
            </Text>
            <Button size="small" variant="secondary" onClick={() => setText(transliterate(text))}>
              Replace with plain letters
            </Button>
          </Box>
        )}
        <TokenPicker metadata={metadata} onPick={pick} />
        <Box marginTop={4} padding={3} borderRadius={4} backgroundColor="default2">
          <Box display="flex" justifyContent="space-between" alignItems="center" gap={2} marginBottom={2}>
            <Text size={2} fontWeight="bold">Preview</Text>
            <select style={controlStyle} aria-label="Preview with order" value={orderId} onChange={(e) => { followOrder.current = true; setOrderId(e.target.value); }}>
              <option value="">Sample order #1042</option>
              {orders.map((o) => (
                <option key={o.id} value={o.id}>#{o.number} · {o.customer_name || "guest"} · {o.total} · {o.created ? shortTime(o.created) : ""}</option>
              ))}
            </select>
          </Box>
          {previewing && <Spinner label="Rendering…" />}
          {previewError && <FieldError message={previewError} />}
          {preview?.problems.map((p) => <FieldError key={p} message={p} />)}
          {preview?.matches === true && (
            <Text as="p" size={2} color="success1" data-testid="preview-match">This order meets the rule's conditions.</Text>
          )}
          {preview?.matches === false && (
            <Text as="p" size={2} color="warning1" data-testid="preview-match">This order would not get the text: {preview.failing}.</Text>
          )}
          {preview?.order_language && (
            <Text as="p" size={2} color="default2" data-testid="preview-language">
              The order is in {preview.order_language}: it gets the {preview.text_language ?? "default"} text.
            </Text>
          )}
          <Box className="sms-bubble" data-testid="preview-text">
            {unicodeRuns(shown).map((run, i) => (run.unicode ? <mark key={i} className="ucs">{run.text}</mark> : <span key={i}>{run.text}</span>))}
          </Box>
          <SegmentMeter text={shown} />
        </Box>
      </Box>
    </Box>
  );
}

export function Rules({ state, metadata, canConfigure }: { state: ConfigState; metadata: Metadata; canConfigure: boolean }) {
  const [draft, setRules, reloadKeeping] = useDraft(state, (c) => c.rules);
  const rules = draft ?? [];
  const [editing, setEditing] = useState<string | null>(null);
  const [lastSent, setLastSent] = useState<Record<string, string>>({});
  useEffect(() => {
    getJson<{ last_sent: Record<string, string> }>("/rules/last-sent")
      .then((r) => setLastSent(r.last_sent))
      .catch((e: Error) => notify("warning", "Last-sent times unavailable", e.message));
  }, [state.config]);
  const eventLabel = useMemo(() => Object.fromEntries(metadata.events.map((e) => [e.name, e.label])), [metadata]);
  if (!state.config) return state.loading ? <Spinner label="Loading rules…" /> : null;
  const dirty = !same(rules, state.config.rules);

  const update = (index: number, rule: Rule) => setRules(rules.map((r, i) => (i === index ? rule : r)));
  const add = () => {
    const id = Math.random().toString(16).slice(2, 14);
    setRules([...rules, { id, name: "New rule", enabled: true, event: metadata.events[0].name, conditions: { statuses: [], channels: [] }, recipients: { customer: true, staff: false, numbers: [] }, template: "Hi {{ customer.first_name }}, your order {{ order.number }} ...", delay_minutes: 0, send_only_if: { statuses: [], statuses_not: [], charge_statuses: [], not_cancelled: false, not_fulfilled: false, not_refunded: false }, send_no_later_than_minutes: null, templates: {}, transactional: true }]);
    setEditing(id);
  };
  const save = async () => {
    if (await state.save({ ...state.config!, rules })) setEditing(null);
  };

  return (
    <Section
      title="Rules"
      actions={
        <>
          <Button variant="secondary" onClick={add} disabled={!canConfigure}>Add rule</Button>
          <Button onClick={save} disabled={!canConfigure || state.saving || !dirty} data-testid="save-rules">{state.saving ? "Saving…" : "Save rules"}</Button>
        </>
      }
    >
      {state.error && <ErrorBanner message={state.error} onRetry={state.conflict ? state.reload : undefined} onKeep={state.conflict ? () => void reloadKeeping(rules) : undefined} />}
      <table className="grid">
        <thead>
          <tr><th>On</th><th>Name</th><th>When</th><th>Conditions</th><th>Recipients</th><th>Last sent</th><th /></tr>
        </thead>
        <tbody>
          {rules.map((rule, index) => {
            const errors = fieldErrors(state.fieldErrors, `rules.${index}`);
            const r = rule.recipients;
            return [
              <tr key={rule.id} className={editing === rule.id ? "selected" : ""}>
                <td><input type="checkbox" checked={rule.enabled} aria-label={`${rule.name} on`} onChange={(e) => update(index, { ...rule, enabled: e.target.checked })} /></td>
                <td>
                  <Text fontWeight="medium">{rule.name}</Text>
                  {Object.keys(errors).length > 0 && editing !== rule.id && <FieldError message={Object.values(errors).join("; ")} />}
                </td>
                <td>{eventLabel[rule.event] ?? rule.event}{whenText(rule) && <Text as="p" size={2} color="default2" data-testid="rule-when">{whenText(rule)}</Text>}</td>
                <td data-testid="rule-conditions">{conditionsText(rule.conditions)}</td>
                <td>{[r.customer && "customer", r.staff && "staff", ...r.numbers].filter(Boolean).join(", ") || "nobody"}</td>
                <td>{lastSent[rule.id] ? shortTime(lastSent[rule.id]) : "never"}</td>
                <td className="actions">
                  <Box display="flex" gap={2} justifyContent="flex-end">
                    <Button size="small" variant="secondary" onClick={() => setEditing(editing === rule.id ? null : rule.id)}>{editing === rule.id ? "Close" : "Edit"}</Button>
                    <Button size="small" variant="error" onClick={() => setRules(rules.filter((_, i) => i !== index))}>Remove</Button>
                  </Box>
                </td>
              </tr>,
              editing === rule.id && (
                <tr key={rule.id + "-editor"} className="editor-row">
                  <td colSpan={7}><RuleEditor rule={rule} metadata={metadata} errors={errors} optOutLine={state.config!.settings.opt_out_line ?? ""} onChange={(next) => update(index, next)} /></td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
      {rules.length === 0 && <Text color="default2">No rules yet: add one to start texting.</Text>}
    </Section>
  );
}
