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

interface PreviewAnswer {
  text: string;
  problems: string[];
  sample: boolean;
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

function SegmentMeter({ text }: { text: string }) {
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

function RuleEditor({ rule, metadata, errors, optOutLine, onChange }: { rule: Rule; metadata: Metadata; errors: Record<string, string>; optOutLine: string; onChange: (r: Rule) => void }) {
  const area = useRef<HTMLTextAreaElement>(null);
  const [orders, setOrders] = useState<OrderSummary[]>([]);
  const [orderId, setOrderId] = useState("");
  const [preview, setPreview] = useState<PreviewAnswer | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [previewError, setPreviewError] = useState("");

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
        setPreview(await sendJson<PreviewAnswer>("POST", "/preview", { template: rule.template, order_id: orderId || null, marketing: !!rule.marketing, opt_out_line: optOutLine }));
        setPreviewError("");
      } catch (e) {
        setPreviewError(e instanceof ApiError ? e.message : String(e));
      } finally {
        setPreviewing(false);
      }
    }, 250);
    return () => window.clearTimeout(timer);
  }, [rule.template, orderId, rule.marketing, optOutLine]);

  const pick = (name: string) => {
    const el = area.current;
    const { text, cursor } = insertToken(rule.template, el?.selectionStart ?? rule.template.length, el?.selectionEnd ?? rule.template.length, name);
    onChange({ ...rule, template: text });
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
  const templateInfo = countSegments(rule.template);

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
          <input type="checkbox" name="rule_marketing" checked={!!rule.marketing} onChange={(e) => onChange({ ...rule, marketing: e.target.checked })} />
          <Text size={2}>Marketing text (an offer, not news about the order): ends with the opt-out line of Settings</Text>
        </Box>
      </Box>
      <Box>
        <Labeled label="Message" error={errors.template}>
          <textarea ref={area} name="rule_template" style={{ ...controlStyle, minHeight: 110, fontFamily: "inherit" }} value={rule.template}
            onChange={(e) => onChange({ ...rule, template: e.target.value })} />
        </Labeled>
        {templateInfo.unicodeCharacters.length > 0 && (
          <Box display="flex" gap={2} alignItems="center" marginBottom={3} flexWrap="wrap">
            <Text size={2}>
              {templateInfo.unicodeCharacters.map((c) => <mark key={c} className="ucs">{c}</mark>)} make this a Unicode SMS (70 characters per SMS instead of 160).
            </Text>
            <Button size="small" variant="secondary" onClick={() => onChange({ ...rule, template: transliterate(rule.template) })}>
              Replace with plain letters
            </Button>
          </Box>
        )}
        <TokenPicker metadata={metadata} onPick={pick} />
        <Box marginTop={4} padding={3} borderRadius={4} backgroundColor="default2">
          <Box display="flex" justifyContent="space-between" alignItems="center" gap={2} marginBottom={2}>
            <Text size={2} fontWeight="bold">Preview</Text>
            <select style={controlStyle} aria-label="Preview with order" value={orderId} onChange={(e) => setOrderId(e.target.value)}>
              <option value="">Sample order #1042</option>
              {orders.map((o) => (
                <option key={o.id} value={o.id}>#{o.number} · {o.customer_name || "guest"} · {o.total} · {o.created ? shortTime(o.created) : ""}</option>
              ))}
            </select>
          </Box>
          {previewing && <Spinner label="Rendering…" />}
          {previewError && <FieldError message={previewError} />}
          {preview?.problems.map((p) => <FieldError key={p} message={p} />)}
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
    setRules([...rules, { id, name: "New rule", enabled: true, event: metadata.events[0].name, conditions: { statuses: [], channels: [] }, recipients: { customer: true, staff: false, numbers: [] }, template: "Hi {{ customer.first_name }}, your order {{ order.number }} ..." }]);
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
                <td>{eventLabel[rule.event] ?? rule.event}</td>
                <td>{[rule.conditions.statuses.map((s) => s.toLowerCase()).join(", "), rule.conditions.channels.join(", ")].filter(Boolean).join(" · ") || "any order"}</td>
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
