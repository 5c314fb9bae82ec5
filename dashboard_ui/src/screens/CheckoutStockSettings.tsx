import { Box, Button, Text } from "@saleor/macaw-ui";
import { useEffect, useState } from "react";
import type { CheckoutReminders, ShopSettings, StockAlerts } from "../types";
import { Labeled, controlStyle } from "../ui";

/** The Settings screen's abandoned-checkout reminders and staff stock alerts. */
export function CheckoutStockSettings({ draft, set, errors }: {
  draft: ShopSettings; set: (patch: Partial<ShopSettings>) => void; errors: Record<string, string>;
}) {
  const reminders = draft.checkout_reminders;
  const stock = draft.stock_alerts;
  const setReminders = (patch: Partial<CheckoutReminders>) => set({ checkout_reminders: { ...reminders, ...patch } });
  const setStock = (patch: Partial<StockAlerts>) => set({ stock_alerts: { ...stock, ...patch } });
  const e = (name: string) => errors[`checkout_reminders.${name}`];
  const stepsError = e("steps");
  return (
    <Box display="grid" gridTemplateColumns={{ mobile: 1, desktop: 2 }} gap={5} marginTop={5} data-testid="checkout-stock-settings">
      <Box padding={3} borderRadius={4} backgroundColor="default2">
        <Box as="label" display="flex" gap={2} alignItems="center" marginBottom={2}>
          <input type="checkbox" name="checkout_reminders_enabled" checked={reminders.enabled}
            onChange={(ev) => setReminders({ enabled: ev.target.checked })} />
          <Text fontWeight="medium">Remind shoppers of abandoned checkouts</Text>
        </Box>
        <Text as="p" size={2} color="default2" marginBottom={3}>
          Marketing texts, only to checkouts whose owner consented. Each reminder is checked again when due:
          an order from the same checkout, email or phone stops them.
        </Text>
        <Labeled label="Consent metadata key" error={e("consent_metadata_key")}
          help="A checkout or customer with this metadata key (not “no”/“false”) has consented. No key, no text.">
          <input style={controlStyle} name="consent_metadata_key" value={reminders.consent_metadata_key}
            onChange={(ev) => setReminders({ consent_metadata_key: ev.target.value })} />
        </Labeled>
        <StorefrontUrls value={reminders.storefront_urls} error={e("storefront_urls")}
          onChange={(storefront_urls) => setReminders({ storefront_urls })} />
        <Text size={2} fontWeight="medium" color="default2">Reminders (up to 3, each later than the one before)</Text>
        {stepsError && <Text as="p" size={2} color="critical1" data-testid="steps-error">{stepsError}</Text>}
        {reminders.steps.map((step, i) => (
          <Box key={i} borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} padding={2} marginTop={2} data-testid="reminder-step">
            <Labeled label={`Reminder ${i + 1}: hours after the checkout's last change`} error={e(`steps.${i}.delay_minutes`)}>
              <input style={{ ...controlStyle, width: 120 }} name={`reminder_${i}_hours`} type="number" min={0.25} step={0.25}
                value={step.delay_minutes / 60}
                onChange={(ev) => setReminders({ steps: reminders.steps.map((s, j) => j === i ? { ...s, delay_minutes: Math.round(Number(ev.target.value) * 60) } : s) })} />
            </Labeled>
            <Labeled label={`Reminder ${i + 1}: text`} error={e(`steps.${i}.template`)}
              help="Tokens: {{ checkout.products }}, {{ checkout.total }}, {{ checkout.url }}, {{ customer.first_name }}, {{ shop.name }}">
              <textarea style={{ ...controlStyle, minHeight: 60 }} name={`reminder_${i}_template`} value={step.template}
                onChange={(ev) => setReminders({ steps: reminders.steps.map((s, j) => j === i ? { ...s, template: ev.target.value } : s) })} />
            </Labeled>
            {reminders.steps.length > 1 && (
              <Button variant="secondary" size="small" onClick={() => setReminders({ steps: reminders.steps.filter((_, j) => j !== i) })}>Remove reminder</Button>
            )}
          </Box>
        ))}
        {reminders.steps.length < 3 && (
          <Box marginTop={2}>
            <Button variant="secondary" onClick={() => {
              const last = reminders.steps[reminders.steps.length - 1];
              setReminders({ steps: [...reminders.steps, { delay_minutes: (last?.delay_minutes ?? 0) + 24 * 60, template: last?.template ?? "{{ checkout.url }}" }] });
            }}>Add reminder</Button>
          </Box>
        )}
      </Box>
      <Box padding={3} borderRadius={4} backgroundColor="default2">
        <Text as="p" fontWeight="medium" marginBottom={2}>Stock alerts to the staff numbers</Text>
        <Text as="p" size={2} color="default2" marginBottom={3}>Alerts within 10 minutes are gathered into one SMS.</Text>
        <Box as="label" display="flex" gap={2} alignItems="center" marginBottom={2}>
          <input type="checkbox" name="stock_out_of_stock" checked={stock.out_of_stock}
            onChange={(ev) => setStock({ out_of_stock: ev.target.checked })} />
          <Text>A product goes out of stock</Text>
        </Box>
        <Box as="label" display="flex" gap={2} alignItems="center" marginBottom={3}>
          <input type="checkbox" name="stock_back_in_stock" checked={stock.back_in_stock}
            onChange={(ev) => setStock({ back_in_stock: ev.target.checked })} />
          <Text>A product is back in stock</Text>
        </Box>
        <Labeled label="Low-stock alert below" error={errors["stock_alerts.low_stock_threshold"]}
          help="Once per product variant and warehouse each time its stock drops below this. Empty: no alert.">
          <input style={controlStyle} name="low_stock_threshold" type="number" min={1} step={1}
            value={stock.low_stock_threshold ?? ""}
            onChange={(ev) => setStock({ low_stock_threshold: ev.target.value === "" ? null : Number(ev.target.value) })} />
        </Labeled>
      </Box>
    </Box>
  );
}

/** Channel slug → storefront URL rows; kept as rows while typing (a slug may be half-typed). */
function StorefrontUrls({ value, onChange, error }: {
  value: Record<string, string>; onChange: (next: Record<string, string>) => void; error?: string;
}) {
  const [rows, setRows] = useState<[string, string][]>(Object.entries(value));
  const asDict = (r: [string, string][]) => Object.fromEntries(r.filter(([slug, url]) => slug || url));
  useEffect(() => {
    // A new draft (loaded, saved, reloaded) brings its URLs; typing keeps the rows.
    if (JSON.stringify(asDict(rows)) !== JSON.stringify(value)) setRows(Object.entries(value));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify(value)]);
  const change = (next: [string, string][]) => { setRows(next); onChange(asDict(next)); };
  return (
    <Box marginBottom={3}>
      <Text size={2} fontWeight="medium" color="default2">Storefront checkout URL per channel</Text>
      <Text as="p" size={2} color="default2">{"The reminder's link, e.g. https://shop.example.com/checkout?token={checkout.token}"}</Text>
      {rows.map(([slug, url], i) => (
        <Box key={i} display="flex" gap={2} marginTop={2} data-testid="storefront-url">
          <input style={{ ...controlStyle, width: 150 }} aria-label="Channel slug" name={`storefront_${i}_channel`} value={slug} placeholder="default-channel"
            onChange={(ev) => change(rows.map((r, j) => (j === i ? [ev.target.value, r[1]] : r)))} />
          <input style={{ ...controlStyle, flex: 1 }} aria-label="Storefront URL" name={`storefront_${i}_url`} value={url}
            onChange={(ev) => change(rows.map((r, j) => (j === i ? [r[0], ev.target.value] : r)))} />
          <Button variant="secondary" size="small" onClick={() => change(rows.filter((_, j) => j !== i))}>Remove</Button>
        </Box>
      ))}
      {error && <Text as="p" size={2} color="critical1" data-testid="storefront-urls-error">{error}</Text>}
      <Box marginTop={2}>
        <Button variant="secondary" onClick={() => change([...rows, ["", "https://"]])}>Add storefront URL</Button>
      </Box>
    </Box>
  );
}
