// The audience filters and the audience preview, shared by a campaign and a daily send:
// the same filters, and the same "how many get it, ten examples, who is left out and why".
import { Box, Text } from "@saleor/macaw-ui";
import type { AudienceForm } from "../campaigns";
import type { AudiencePreview } from "../types";
import { Labeled, controlStyle } from "../ui";

export function AudienceFields({
  audience,
  errors,
  onChange,
}: {
  audience: AudienceForm;
  errors: Record<string, string>;
  onChange: (audience: AudienceForm) => void;
}) {
  const setField = (field: keyof AudienceForm) => (e: { target: { value: string } }) => onChange({ ...audience, [field]: e.target.value });
  return (
    <Box display="grid" gap={3} style={{ gridTemplateColumns: "repeat(auto-fill, minmax(180px, 1fr))" }}>
      <Labeled label="Joined from" error={errors["audience.joined_from"]}><input type="date" style={controlStyle} value={audience.joined_from} onChange={setField("joined_from")} /></Labeled>
      <Labeled label="Joined until" error={errors["audience.joined_to"]}><input type="date" style={controlStyle} value={audience.joined_to} onChange={setField("joined_to")} /></Labeled>
      <Labeled label="Orders, at least" error={errors["audience.orders_min"]}><input inputMode="numeric" style={controlStyle} value={audience.orders_min} onChange={setField("orders_min")} /></Labeled>
      <Labeled label="Orders, at most" error={errors["audience.orders_max"]}><input inputMode="numeric" style={controlStyle} value={audience.orders_max} onChange={setField("orders_max")} /></Labeled>
      <Labeled label="Last order from" error={errors["audience.last_order_from"]}><input type="date" style={controlStyle} value={audience.last_order_from} onChange={setField("last_order_from")} /></Labeled>
      <Labeled label="Last order until" error={errors["audience.last_order_to"]}><input type="date" style={controlStyle} value={audience.last_order_to} onChange={setField("last_order_to")} /></Labeled>
      <Labeled label="Country (default address)" error={errors["audience.country"]}><input aria-label="Country" style={controlStyle} maxLength={2} placeholder="PL" value={audience.country} onChange={setField("country")} /></Labeled>
      <Labeled label="Metadata key" error={errors["audience.metadata_key"]}><input style={controlStyle} value={audience.metadata_key} onChange={setField("metadata_key")} /></Labeled>
      <Labeled label="… equal to" error={errors["audience.metadata_value"]}><input style={controlStyle} value={audience.metadata_value} onChange={setField("metadata_value")} /></Labeled>
    </Box>
  );
}

export function AudiencePreviewBox({ preview, lead }: { preview: AudiencePreview; lead?: string }) {
  return (
    <Box marginTop={3} data-testid="audience-preview">
      <Text as="p" fontWeight="bold" data-testid="would-get">{lead ?? ""}{preview.would_get} customer{preview.would_get === 1 ? "" : "s"} would get it{preview.complete ? "" : ` (counted ${preview.counted} of ${preview.customers})`}</Text>
      {preview.left_out.length > 0 && (
        <Box as="ul" marginTop={1} data-testid="left-out">
          {preview.left_out.map((r) => <li key={r.reason}><Text size={2}>{r.count} left out: {r.label}</Text></li>)}
        </Box>
      )}
      {preview.examples.length > 0 && (
        <table className="grid" data-testid="examples"><thead><tr><th>Example</th><th>Number</th></tr></thead>
          <tbody>{preview.examples.map((e, i) => <tr key={i}><td>{e.name}</td><td>{e.phone}</td></tr>)}</tbody>
        </table>
      )}
    </Box>
  );
}
