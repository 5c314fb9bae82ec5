// Settings: quiet hours, the shop's time zone and the marketing caps (issue 9 items 6 and 8).
import { Box, Text } from "@saleor/macaw-ui";
import { useMemo } from "react";
import type { ShopSettings } from "../types";
import { Labeled, controlStyle } from "../ui";

/** The browser's list of IANA zones, for suggestions (the server checks the name). */
function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf("timeZone") : [];
}

const cap = (text: string): number | null => (text.trim() === "" ? null : Number(text));

export function QuietHoursAndCaps({ draft, errors, set }: {
  draft: ShopSettings;
  errors: Record<string, string>;
  set: (patch: Partial<ShopSettings>) => void;
}) {
  const zones = useMemo(timeZones, []);
  const quiet = draft.quiet_hours ?? { enabled: true, start: "21:00", end: "08:00" };
  return (
    <Box padding={3} borderRadius={4} backgroundColor="default2" marginBottom={3} data-testid="quiet-hours">
      <Box as="label" display="flex" gap={2} alignItems="center" marginBottom={1}>
        <input type="checkbox" name="quiet_hours_enabled" checked={quiet.enabled}
          onChange={(e) => set({ quiet_hours: { ...quiet, enabled: e.target.checked } })} />
        <Text fontWeight="medium">Quiet hours: no automation or marketing text at night</Text>
      </Box>
      <Text as="p" size={1} color="default2" marginBottom={2}>
        In the recipient's own time (from their number's country). Texts wait until the end;
        rules ticked “transactional: send at any hour” are never held.
      </Text>
      <Box display="flex" gap={3}>
        <Labeled label="From" error={errors["quiet_hours.start"]}>
          <input style={controlStyle} name="quiet_hours_start" type="time" value={quiet.start}
            onChange={(e) => set({ quiet_hours: { ...quiet, start: e.target.value } })} />
        </Labeled>
        <Labeled label="Until" error={errors["quiet_hours.end"]}>
          <input style={controlStyle} name="quiet_hours_end" type="time" value={quiet.end}
            onChange={(e) => set({ quiet_hours: { ...quiet, end: e.target.value } })} />
        </Labeled>
      </Box>
      <Labeled label="Shop time zone" error={errors.shop_time_zone}
        help="For numbers of countries with several time zones (US mobiles, Russia, Australia…).">
        <input style={controlStyle} name="shop_time_zone" list="time-zones" value={draft.shop_time_zone ?? "UTC"}
          onChange={(e) => set({ shop_time_zone: e.target.value })} />
        <datalist id="time-zones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
      </Labeled>
      <Text as="p" size={2} fontWeight="medium" marginBottom={1}>Marketing texts to one number at most (empty: no cap)</Text>
      <Box display="flex" gap={3}>
        <Labeled label="Per day" error={errors.marketing_cap_per_day}>
          <input style={{ ...controlStyle, width: 100 }} name="marketing_cap_per_day" type="number" min={1} max={100} step={1}
            value={draft.marketing_cap_per_day ?? ""} onChange={(e) => set({ marketing_cap_per_day: cap(e.target.value) })} />
        </Labeled>
        <Labeled label="Per week" error={errors.marketing_cap_per_week}>
          <input style={{ ...controlStyle, width: 100 }} name="marketing_cap_per_week" type="number" min={1} max={500} step={1}
            value={draft.marketing_cap_per_week ?? ""} onChange={(e) => set({ marketing_cap_per_week: cap(e.target.value) })} />
        </Labeled>
      </Box>
      <Text as="p" size={1} color="default2">
        Counted over the last 24 hours and 7 days; automations, delayed and marketing rules count, transactional ones never.
        A text over a cap is logged as skipped with the reason.
      </Text>
    </Box>
  );
}
