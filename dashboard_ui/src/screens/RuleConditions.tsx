// The Rules editor's "Only for orders that…" fields beyond status and channel
// (issue 9 item 4): countries, total, shipping method, payment, guest or
// registered, first order, a metadata value. Checked on the order the event
// fetched, for instant and delayed rules alike.
import { Box, Text } from "@saleor/macaw-ui";
import type { Rule, RuleConditions as Conditions } from "../types";
import { FieldError, Labeled, controlStyle } from "../ui";

export const CHARGE_STATUSES: [string, string][] = [
  ["NONE", "unpaid"],
  ["PARTIAL", "partly paid"],
  ["FULL", "paid"],
  ["OVERCHARGED", "overpaid"],
];

const list = (text: string, upper = false): string[] =>
  text.split(",").map((s) => (upper ? s.trim().toUpperCase() : s.trim())).filter(Boolean);

const amount = (text: string): number | null => (text.trim() === "" ? null : Number(text));

/** The rule's conditions in a few words for the rules table ("any order" when none). */
export function conditionsText(c: Conditions): string {
  const money = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));
  const total =
    c.total_min != null || c.total_max != null
      ? c.total_min != null && c.total_max != null
        ? `total ${money(c.total_min)}–${money(c.total_max)}`
        : c.total_min != null ? `total ≥ ${money(c.total_min)}` : `total ≤ ${money(c.total_max)}`
      : "";
  return [
    c.statuses.map((s) => s.toLowerCase()).join(", "),
    c.channels.join(", "),
    c.shipping_countries?.length ? `ships to ${c.shipping_countries.join("/")}` : "",
    c.billing_countries?.length ? `billed to ${c.billing_countries.join("/")}` : "",
    total,
    c.shipping_methods?.length ? `by ${c.shipping_methods.join("/")}` : "",
    c.charge_statuses?.length ? CHARGE_STATUSES.filter(([v]) => c.charge_statuses!.includes(v)).map(([, t]) => t).join("/") : "",
    c.customer && c.customer !== "any" ? `${c.customer} customer` : "",
    c.order_of_customer === "first" ? "first order" : c.order_of_customer === "repeat" ? "repeat order" : "",
    c.metadata_key ? `${c.metadata_key} = ${c.metadata_value ?? ""}` : "",
  ].filter(Boolean).join(" · ") || "any order";
}

export function ConditionFields({ rule, errors, onChange }: { rule: Rule; errors: Record<string, string>; onChange: (r: Rule) => void }) {
  const c = rule.conditions;
  const set = (patch: Partial<Conditions>) => onChange({ ...rule, conditions: { ...c, ...patch } });
  const charge = c.charge_statuses ?? [];
  return (
    <Box borderStyle="solid" borderWidth={1} borderColor="default1" borderRadius={4} padding={3} marginBottom={3} data-testid="condition-fields">
      <Text as="p" size={2} fontWeight="bold" marginBottom={2}>Only for orders that… (empty = any)</Text>
      <Box display="grid" gridTemplateColumns={{ mobile: 1, desktop: 2 }} columnGap={3}>
        <Labeled label="Ship to countries" error={errors["conditions.shipping_countries"]} help="Two-letter codes, comma-separated: PL, DE">
          <input style={controlStyle} name="cond_shipping_countries" value={(c.shipping_countries ?? []).join(", ")}
            onChange={(e) => set({ shipping_countries: list(e.target.value, true) })} />
        </Labeled>
        <Labeled label="Are billed to countries" error={errors["conditions.billing_countries"]}>
          <input style={controlStyle} name="cond_billing_countries" value={(c.billing_countries ?? []).join(", ")}
            onChange={(e) => set({ billing_countries: list(e.target.value, true) })} />
        </Labeled>
        <Labeled label="Total from" error={errors["conditions.total_min"]} help="In the order's own currency.">
          <input style={controlStyle} name="cond_total_min" type="number" min={0} step="0.01" value={c.total_min ?? ""}
            onChange={(e) => set({ total_min: amount(e.target.value) })} />
        </Labeled>
        <Labeled label="Total up to" error={errors["conditions.total_max"]}>
          <input style={controlStyle} name="cond_total_max" type="number" min={0} step="0.01" value={c.total_max ?? ""}
            onChange={(e) => set({ total_max: amount(e.target.value) })} />
        </Labeled>
        <Labeled label="Shipping method names" error={errors["conditions.shipping_methods"]} help="Comma-separated; letter case does not matter.">
          <input style={controlStyle} name="cond_shipping_methods" value={(c.shipping_methods ?? []).join(", ")}
            onChange={(e) => set({ shipping_methods: list(e.target.value) })} />
        </Labeled>
        <Labeled label="Customer" error={errors["conditions.customer"]}>
          <select style={controlStyle} name="cond_customer" value={c.customer ?? "any"}
            onChange={(e) => set({ customer: e.target.value as Conditions["customer"] })}>
            <option value="any">guest or registered</option>
            <option value="guest">guest (no account)</option>
            <option value="registered">registered customer</option>
          </select>
        </Labeled>
        <Labeled label="Order of the customer" error={errors["conditions.order_of_customer"]}
          help="Counted in Saleor for registered customers; a guest's order counts as a first one.">
          <select style={controlStyle} name="cond_order_of_customer" value={c.order_of_customer ?? "any"}
            onChange={(e) => set({ order_of_customer: e.target.value as Conditions["order_of_customer"] })}>
            <option value="any">any order</option>
            <option value="first">the customer's first order</option>
            <option value="repeat">a repeat order</option>
          </select>
        </Labeled>
        <Box>
          <Text size={2} fontWeight="medium" color="default2">Payment is</Text>
          <Box display="flex" flexWrap="wrap" gap={2} marginBottom={2} marginTop={1}>
            {CHARGE_STATUSES.map(([value, text]) => (
              <Box as="label" key={value} display="flex" gap={1} alignItems="center">
                <input type="checkbox" name={`cond_charge_${value}`} checked={charge.includes(value)}
                  onChange={() => set({ charge_statuses: charge.includes(value) ? charge.filter((v) => v !== value) : [...charge, value] })} />
                <Text size={2}>{text}</Text>
              </Box>
            ))}
          </Box>
          <FieldError message={errors["conditions.charge_statuses"]} />
        </Box>
        <Labeled label="Order metadata key" error={errors["conditions.metadata_key"]}>
          <input style={controlStyle} name="cond_metadata_key" value={c.metadata_key ?? ""} placeholder="source"
            onChange={(e) => set({ metadata_key: e.target.value })} />
        </Labeled>
        <Labeled label="…equals" error={errors["conditions.metadata_value"]}>
          <input style={controlStyle} name="cond_metadata_value" value={c.metadata_value ?? ""} placeholder="tiktok"
            onChange={(e) => set({ metadata_value: e.target.value })} />
        </Labeled>
      </Box>
    </Box>
  );
}
