import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import { ApiError, getJson, sendJson } from "../api";
import { notify } from "../bridge";
import { fieldErrors, providerHeading, same } from "../format";
import type { Metadata, ProviderConfig } from "../types";
import { ErrorBanner, FieldError, Labeled, Pill, Section, Spinner, controlStyle } from "../ui";
import { useDraft, type ConfigState } from "../useConfig";

function newId(): string {
  return Math.random().toString(16).slice(2, 14);
}

interface TestAnswer {
  ok: boolean;
  status?: string;
  provider_message_id?: string;
  message?: string;
  hint?: string | null;
  answer?: string;
}

function ProviderActions({ provider, saved }: { provider: ProviderConfig; saved: boolean }) {
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState<"" | "test" | "balance">("");
  const [answer, setAnswer] = useState<TestAnswer | null>(null);
  const [balance, setBalance] = useState("");
  const [error, setError] = useState("");

  const sendTest = async () => {
    setBusy("test");
    setError("");
    setAnswer(null);
    try {
      const result = await sendJson<TestAnswer>("POST", `/providers/${provider.id}/test`, { phone });
      setAnswer(result);
      notify(result.ok ? "success" : "error", result.ok ? "Test message sent" : "The provider refused", result.message ?? "");
    } catch (e) {
      const message = e instanceof ApiError ? e.details.phone ?? e.message : String(e);
      setError(message);
    } finally {
      setBusy("");
    }
  };
  const checkBalance = async () => {
    setBusy("balance");
    setError("");
    try {
      const b = await getJson<{ supported: boolean; ok?: boolean; amount?: string; currency?: string; message?: string; below_threshold?: boolean }>(
        `/providers/${provider.id}/balance`,
      );
      setBalance(
        b.supported && b.ok
          ? `Balance: ${b.amount} ${b.currency}${b.below_threshold ? " — below your low-balance alert" : ""}`
          : (b.message ?? "No balance to show."),
      );
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy("");
    }
  };

  if (!saved) return <Text size={2} color="default2">Save to send a test message or check the balance.</Text>;
  return (
    <Box marginTop={3} display="flex" flexDirection="column" gap={2}>
      <Box display="flex" gap={2} alignItems="center" flexWrap="wrap">
        <input style={controlStyle} placeholder="Your phone, e.g. +48601234567" value={phone}
          aria-label={`Test number for ${provider.name || provider.type}`} onChange={(e) => setPhone(e.target.value)} />
        <Button variant="secondary" onClick={sendTest} disabled={busy !== "" || !phone.trim()}>
          {busy === "test" ? "Sending…" : "Send test message"}
        </Button>
        <Button variant="tertiary" onClick={checkBalance} disabled={busy !== ""}>
          {busy === "balance" ? "Checking…" : "Check balance"}
        </Button>
        {balance && <Text size={2} data-testid="balance">{balance}</Text>}
      </Box>
      <FieldError message={error} />
      {answer && (
        <Box padding={2} borderRadius={4} backgroundColor={answer.ok ? "success1" : "critical1"} data-testid="test-answer">
          <Text size={2} fontWeight="medium">
            {answer.ok ? `Accepted (${answer.status}), id ${answer.provider_message_id ?? "—"}` : `Refused: ${answer.message}`}
          </Text>
          {answer.hint && <Text as="p" size={2}>{answer.hint}</Text>}
          {answer.answer && <pre className="answer">{answer.answer}</pre>}
        </Box>
      )}
    </Box>
  );
}

interface CheckAnswer {
  ok: boolean;
  balance?: { amount: string; currency: string } | null;
  note?: string;
  fields?: Record<string, string>;
  error?: string | { message: string; hint?: string | null };
}

function CheckSettings({ provider, onFields }: { provider: ProviderConfig; onFields: (f: Record<string, string>) => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CheckAnswer | null>(null);
  const [error, setError] = useState("");
  const check = async () => {
    setBusy(true);
    setError("");
    setResult(null);
    try {
      const answer = await sendJson<CheckAnswer>("POST", "/providers/check", { provider });
      setResult(answer);
      onFields(answer.fields ?? {});
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const problem = typeof result?.error === "string" ? result.error : result?.error?.message;
  const hint = typeof result?.error === "object" ? result.error.hint : null;
  return (
    <Box display="flex" gap={3} alignItems="center" flexWrap="wrap" marginBottom={3}>
      <Button variant="secondary" size="small" onClick={check} disabled={busy}>
        {busy ? "Checking…" : "Check settings"}
      </Button>
      {result?.ok && (
        <Text size={2} color="success1" data-testid="check-result">
          {result.balance ? `The provider accepts these settings (balance ${result.balance.amount} ${result.balance.currency}).` : (result.note ?? "Looks fine.")}
        </Text>
      )}
      {result && !result.ok && <FieldError message={[problem, hint].filter(Boolean).join(" ")} />}
      <FieldError message={error} />
    </Box>
  );
}

export function Providers({ state, metadata, canConfigure }: { state: ConfigState; metadata: Metadata; canConfigure: boolean }) {
  const [draft, setProviders, reloadKeeping] = useDraft(state, (c) => c.providers);
  const providers = draft ?? [];
  const [editing, setEditing] = useState<string | null>(null);
  const [newType, setNewType] = useState(metadata.providers[0]?.type ?? "");
  const [checked, setChecked] = useState<Record<string, Record<string, string>>>({});
  const [warnings, setWarnings] = useState<{ provider_id: string; balance: string | null; currency: string | null }[]>([]);
  useEffect(() => {
    getJson<{ warnings: typeof warnings }>("/providers/warnings")
      .then((r) => setWarnings(r.warnings))
      .catch((e: Error) => notify("warning", "Low-balance warnings unavailable", e.message));
  }, [state.config]);
  if (!state.config) return state.loading ? <Spinner label="Loading providers…" /> : null;
  const savedIds = new Set(state.config.providers.map((p) => p.id));
  const dirty = !same(providers, state.config.providers);

  const update = (index: number, patch: Partial<ProviderConfig>) =>
    setProviders(providers.map((p, i) => (i === index ? { ...p, ...patch } : p)));
  const move = (index: number, by: number) => {
    const next = [...providers];
    const [item] = next.splice(index, 1);
    next.splice(index + by, 0, item);
    setProviders(next);
  };
  const add = () => {
    const type = metadata.providers.find((t) => t.type === newType);
    if (!type) return;
    const id = newId();
    setProviders([...providers, { id, type: type.type, name: type.label.split(" (")[0], enabled: true, sender: "", channels: [], options: {}, secrets: {} }]);
    setEditing(id);
  };
  const save = async () => {
    if (await state.save({ ...state.config!, providers })) setEditing(null);
  };

  return (
    <Section
      title="Providers"
      actions={
        <Button onClick={save} disabled={!canConfigure || state.saving || !dirty} data-testid="save-providers">
          {state.saving ? "Saving…" : "Save providers"}
        </Button>
      }
    >
      <Text as="p" size={3} color="default2" marginBottom={4}>
        Messages go through the first switched-on provider; when it fails, the next one is tried.
      </Text>
      {state.error && <ErrorBanner message={state.error} onRetry={state.conflict ? state.reload : undefined} onKeep={state.conflict ? () => void reloadKeeping(providers) : undefined} />}
      {warnings.map((w) => (
        <ErrorBanner
          key={w.provider_id}
          message={`Low balance: ${providers.find((p) => p.id === w.provider_id)?.name ?? w.provider_id} has ${w.balance ?? "?"} ${w.currency ?? ""} left. Top it up so messages keep going out.`}
        />
      ))}
      {providers.map((p, index) => {
        const type = metadata.providers.find((t) => t.type === p.type);
        const errors = { ...fieldErrors(state.fieldErrors, `providers.${index}`), ...(checked[p.id] ?? {}) };
        const open = editing === p.id;
        const heading = providerHeading(p.name, type?.label ?? p.type);
        return (
          <Box key={p.id} borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} padding={4} marginBottom={3} data-testid="provider-card">
            <Box display="flex" justifyContent="space-between" alignItems="center" gap={3} flexWrap="wrap">
              <Box display="flex" alignItems="center" gap={3}>
                <Text size={2} color="default2">{index + 1}.</Text>
                <Text fontWeight="bold" data-testid="provider-title">{heading.title}</Text>
                {heading.kind && <Pill>{heading.kind}</Pill>}
                {!p.enabled && <Pill color="#8a8f98">off</Pill>}
                {p.sender && <Text size={2} color="default2">from “{p.sender}”</Text>}
              </Box>
              <Box display="flex" gap={2} alignItems="center">
                <Box as="label" display="flex" gap={1} alignItems="center">
                  <input type="checkbox" checked={p.enabled} onChange={(e) => update(index, { enabled: e.target.checked })} aria-label={`${p.name} switched on`} />
                  <Text size={2}>On</Text>
                </Box>
                <Button variant="tertiary" size="small" disabled={index === 0} onClick={() => move(index, -1)} aria-label="Move up">↑</Button>
                <Button variant="tertiary" size="small" disabled={index === providers.length - 1} onClick={() => move(index, 1)} aria-label="Move down">↓</Button>
                <Button variant="secondary" size="small" onClick={() => setEditing(open ? null : p.id)}>{open ? "Close" : "Edit"}</Button>
                <Button variant="error" size="small" onClick={() => setProviders(providers.filter((_, i) => i !== index))}>Remove</Button>
              </Box>
            </Box>
            {Object.keys(errors).length > 0 && !open && <FieldError message={Object.values(errors).join("; ")} />}
            {open && (
              <Box marginTop={4}>
              <CheckSettings provider={p} onFields={(f) => setChecked({ ...checked, [p.id]: f })} />
              <Box display="grid" gridTemplateColumns={{ mobile: 1, desktop: 2 }} columnGap={5}>
                <Labeled label="Name" error={errors.name}>
                  <input style={controlStyle} name="provider_name" value={p.name} onChange={(e) => update(index, { name: e.target.value })} />
                </Labeled>
                <Labeled label="Sender name or number" error={errors.sender} help="What recipients see as the sender (if the provider allows it).">
                  <input style={controlStyle} name="provider_sender" value={p.sender} onChange={(e) => update(index, { sender: e.target.value })} />
                </Labeled>
                <Labeled label="Campaign messages per second (optional)" error={errors.messages_per_second} help="Kept across every worker; empty: as fast as the provider takes them.">
                  <input style={controlStyle} name="provider_rate" type="number" min={0} step="any" value={p.messages_per_second ?? ""}
                    onChange={(e) => update(index, { messages_per_second: e.target.value === "" ? null : Number(e.target.value) })} />
                </Labeled>
                {type?.fields.map((f) =>
                  f.secret ? (
                    <Labeled key={f.name} label={f.label + (f.required ? "" : " (optional)")} error={errors[f.name]} help={f.help}>
                      <input style={controlStyle} type="password" name={`secret_${f.name}`} autoComplete="new-password"
                        placeholder={p.secrets_set?.[f.name] ? "Saved — leave blank to keep" : ""}
                        value={p.secrets[f.name] ?? ""}
                        onChange={(e) => update(index, { secrets: { ...p.secrets, [f.name]: e.target.value } })} />
                    </Labeled>
                  ) : (
                    <Labeled key={f.name} label={f.label + (f.required ? "" : " (optional)")} error={errors[f.name]} help={f.help}>
                      <input style={controlStyle} name={`option_${f.name}`} placeholder={f.default ?? ""}
                        value={String(p.options[f.name] ?? "")}
                        onChange={(e) => update(index, { options: { ...p.options, [f.name]: e.target.value } })} />
                    </Labeled>
                  ),
                )}
                <Labeled label="Channels (comma-separated slugs, empty = all)" error={errors.channels}>
                  <input style={controlStyle} name="provider_channels" value={p.channels.join(", ")}
                    onChange={(e) => update(index, { channels: e.target.value.split(",").map((s) => s.trim()).filter(Boolean) })} />
                </Labeled>
                {p.inbound_url && metadata.providers.find((t) => t.type === p.type)?.receives_inbound && (
                  <Labeled label="Inbound messages URL" help="Paste this where the provider forwards texts customers send to your number: STOP, START and HELP are then handled, and replies appear in the Message log.">
                    <input style={controlStyle} readOnly value={p.inbound_url} onFocus={(e) => e.target.select()} data-testid="inbound-url" />
                  </Labeled>
                )}
                {p.delivery_report_url ? (
                  <Labeled label="Delivery-report URL" help="Paste this in the provider's panel if it asks for a status callback URL.">
                    <input style={controlStyle} readOnly value={p.delivery_report_url} onFocus={(e) => e.target.select()} />
                  </Labeled>
                ) : (
                  <Text size={2} color="default2">
                    No delivery-report URL: this app's address (APP_URL) is not reachable from the internet, so delivery
                    reports cannot arrive.
                  </Text>
                )}
              </Box>
              </Box>
            )}
            <ProviderActions provider={p} saved={savedIds.has(p.id) && !dirty} />
          </Box>
        );
      })}
      <Box display="flex" gap={2} alignItems="center" marginTop={4}>
        <select style={controlStyle} value={newType} onChange={(e) => setNewType(e.target.value)} aria-label="Provider type">
          {metadata.providers.map((t) => (
            <option key={t.type} value={t.type}>{t.label}</option>
          ))}
        </select>
        <Button variant="secondary" onClick={add} disabled={!canConfigure}>Add provider</Button>
      </Box>
    </Section>
  );
}
