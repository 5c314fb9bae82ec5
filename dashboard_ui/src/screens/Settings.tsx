import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import { fieldErrors, same } from "../format";
import type { ShopSettings } from "../types";
import { ErrorBanner, Labeled, Section, Spinner, controlStyle } from "../ui";
import { useDraft, type ConfigState } from "../useConfig";
import { CheckoutStockSettings } from "./CheckoutStockSettings";
import { QuietHoursAndCaps } from "./QuietHours";

export function Settings({ state, canConfigure }: { state: ConfigState; canConfigure: boolean }) {
  const [draft, setDraft, reloadKeeping] = useDraft(state, (c) => c.settings);
  const [staffText, setStaffText] = useState("");
  // A new draft (loaded, saved, or kept over a reload) brings its numbers; typing
  // in the other fields keeps the same list, so the text being edited stays.
  const staffNumbers = draft?.staff_numbers;
  useEffect(() => {
    if (staffNumbers) setStaffText(staffNumbers.join("\n"));
  }, [staffNumbers]);
  if (!draft || !state.config) return state.loading ? <Spinner label="Loading settings…" /> : null;
  const errors = fieldErrors(state.fieldErrors, "settings");
  const set = (patch: Partial<ShopSettings>) => setDraft({ ...draft, ...patch });
  const staffError = Object.entries(errors).find(([k]) => k.startsWith("staff_numbers"))?.[1];

  const edited = (): ShopSettings => ({
    ...draft,
    staff_numbers: staffText.split(/[\n,]/).map((s) => s.trim()).filter(Boolean),
  });
  const save = () => state.save({ ...state.config!, settings: edited() });
  // Like the other screens: nothing to save until something differs from what is saved.
  const dirty = !same(edited(), state.config.settings);

  return (
    <Section
      title="Settings"
      actions={
        <Button onClick={save} disabled={!canConfigure || state.saving || !dirty} data-testid="save-settings">
          {state.saving ? "Saving…" : "Save settings"}
        </Button>
      }
    >
      {state.error && <ErrorBanner message={state.error} onRetry={state.conflict ? state.reload : undefined} onKeep={state.conflict ? () => void reloadKeeping(edited()) : undefined} />}
      <Box display="grid" gridTemplateColumns={{ mobile: 1, desktop: 2 }} gap={5}>
        <Box>
          <Labeled label="Default country for customer numbers" error={errors.default_country}
            help="Used for numbers written without +country code, when the order's channel has none.">
            <input style={controlStyle} name="default_country" maxLength={2} value={draft.default_country}
              onChange={(e) => set({ default_country: e.target.value.toUpperCase() })} />
          </Labeled>
          <Labeled label="Country for staff numbers" error={errors.staff_country}>
            <input style={controlStyle} name="staff_country" maxLength={2} value={draft.staff_country}
              onChange={(e) => set({ staff_country: e.target.value.toUpperCase() })} />
          </Labeled>
          <Labeled label="Staff numbers (one per line)" error={staffError}
            help="Rules with “staff” as recipient text these numbers.">
            <textarea style={{ ...controlStyle, minHeight: 80 }} name="staff_numbers" value={staffText}
              onChange={(e) => setStaffText(e.target.value)} />
          </Labeled>
        </Box>
        <Box>
          <Labeled label="Customer metadata key holding a phone number" error={errors.phone_metadata_key}
            help="Checked after the shipping and billing address phones.">
            <input style={controlStyle} name="phone_metadata_key" value={draft.phone_metadata_key}
              onChange={(e) => set({ phone_metadata_key: e.target.value })} />
          </Labeled>
          <Labeled label="Low-balance alert below" error={errors.low_balance_threshold}
            help="Staff get one SMS when a provider's balance drops below this (provider's currency). Empty: no alert.">
            <input style={controlStyle} name="low_balance_threshold" type="number" min={0} step="0.01"
              value={draft.low_balance_threshold ?? ""}
              onChange={(e) => set({ low_balance_threshold: e.target.value === "" ? null : Number(e.target.value) })} />
          </Labeled>
          <Labeled label="Keep messages for (days)" error={errors.retention_days}
            help="Older messages are removed from the log in the background, a few hundred at a time.">
            <input style={controlStyle} name="retention_days" type="number" min={1} max={3650} step={1}
              value={draft.retention_days}
              onChange={(e) => set({ retention_days: e.target.value === "" ? 0 : Number(e.target.value) })} />
          </Labeled>
          <Labeled label="After that" error={errors.retention_mode}>
            <select style={controlStyle} name="retention_mode" value={draft.retention_mode}
              onChange={(e) => set({ retention_mode: e.target.value as ShopSettings["retention_mode"] })}>
              <option value="delete">Delete the messages</option>
              <option value="blank">Keep the messages, blank phone numbers and texts</option>
            </select>
          </Labeled>
          <Box padding={3} borderRadius={4} backgroundColor="default2" marginBottom={3}>
            <Box as="label" display="flex" gap={2} alignItems="center" marginBottom={2}>
              <input type="checkbox" name="dry_run" checked={draft.dry_run.enabled}
                onChange={(e) => set({ dry_run: { ...draft.dry_run, enabled: e.target.checked } })} />
              <Text fontWeight="medium">Dry run: send every SMS to one test number instead</Text>
            </Box>
            <Labeled label="Test number" error={errors["dry_run.number"]}>
              <input style={controlStyle} name="dry_run_number" value={draft.dry_run.number}
                placeholder="+48601234567"
                onChange={(e) => set({ dry_run: { ...draft.dry_run, number: e.target.value } })} />
            </Labeled>
          </Box>
          <Labeled label="Answer to HELP" error={errors.help_reply}
            help="Sent when a customer texts HELP (or INFO, POMOC) to your number. Empty: no answer.">
            <textarea style={{ ...controlStyle, minHeight: 60 }} name="help_reply" value={draft.help_reply ?? ""}
              onChange={(e) => set({ help_reply: e.target.value })} />
          </Labeled>
          <Labeled label="Opt-out line of marketing texts" error={errors.opt_out_line}
            help="Added on its own line to every rule marked as marketing; it counts in the segments.">
            <input style={controlStyle} name="opt_out_line" value={draft.opt_out_line ?? ""}
              onChange={(e) => set({ opt_out_line: e.target.value })} />
          </Labeled>
          <QuietHoursAndCaps draft={draft} errors={errors} set={set} />
        </Box>
      </Box>
      <CheckoutStockSettings draft={draft} set={set} errors={errors} />
    </Section>
  );
}
