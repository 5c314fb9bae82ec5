import { ThemeProvider } from "@saleor/macaw-ui";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AppConfig } from "../types";
import type { ConfigState } from "../useConfig";
import { Settings } from "./Settings";

vi.mock("../bridge", () => ({ notify: vi.fn(), appBridge: { getState: () => ({}) } }));

const CONFIG: AppConfig = {
  schema_version: 1,
  revision: 3,
  kind: "saleor-sms-app/config",
  providers: [],
  rules: [],
  settings: {
    default_country: "PL",
    staff_country: "PL",
    staff_numbers: ["+48601234567"],
    phone_metadata_key: "phone",
    low_balance_threshold: null,
    dry_run: { enabled: false, number: "" },
    retention_days: 365,
    retention_mode: "delete",
    help_reply: "Reply STOP to opt out.",
    opt_out_line: "Reply STOP to opt out",
    checkout_reminders: {
      enabled: false,
      consent_metadata_key: "sms_marketing_consent",
      storefront_urls: {},
      steps: [{ delay_minutes: 60, template: "{{ checkout.url }}" }],
    },
    stock_alerts: { out_of_stock: false, back_in_stock: false, low_stock_threshold: null },
    quiet_hours: { enabled: true, start: "21:00", end: "08:00" },
    shop_time_zone: "Europe/Warsaw",
    marketing_cap_per_day: null,
    marketing_cap_per_week: null,
  },
};

function state(overrides: Partial<ConfigState> = {}): ConfigState {
  return {
    config: CONFIG,
    loading: false,
    saving: false,
    error: "",
    conflict: false,
    fieldErrors: {},
    reload: vi.fn(async () => undefined),
    save: vi.fn(async () => true),
    ...overrides,
  };
}

afterEach(cleanup);

describe("Settings form", () => {
  it("saves staff numbers one per line, keeping the revision it loaded", () => {
    const s = state();
    render(<ThemeProvider><Settings state={s} canConfigure /></ThemeProvider>);
    fireEvent.change(screen.getByLabelText(/Staff numbers/), { target: { value: "+48601234567\n 601 999 888 \n\n" } });
    fireEvent.change(screen.getByLabelText(/Low-balance alert/), { target: { value: "5" } });
    fireEvent.click(screen.getByText("Save settings"));
    const saved = (s.save as ReturnType<typeof vi.fn>).mock.calls[0][0] as AppConfig;
    expect(saved.revision).toBe(3);
    expect(saved.settings.staff_numbers).toEqual(["+48601234567", "601 999 888"]);
    expect(saved.settings.low_balance_threshold).toBe(5);
  });

  it("shows the server's message beside the field and offers a reload on conflict", () => {
    const s = state({
      error: "The configuration was changed by someone else",
      conflict: true,
      fieldErrors: { "settings.staff_numbers.1": "the phone number is not a valid number for PL: '12'" },
    });
    render(<ThemeProvider><Settings state={s} canConfigure /></ThemeProvider>);
    expect(screen.getByText(/not a valid number for PL/)).toBeTruthy();
    fireEvent.click(screen.getByText("Reload, discard my changes"));
    expect(s.reload).toHaveBeenCalled();
  });

  it("after a conflict, reloads what the other person saved and keeps my edits on top", async () => {
    const saved: AppConfig[] = [];
    // Someone else changed the default country meanwhile (revision 4).
    const theirs: AppConfig = { ...CONFIG, revision: 4, settings: { ...CONFIG.settings, default_country: "DE" } };
    function Harness() {
      const [config, setConfig] = useState<AppConfig>(CONFIG);
      const [conflict, setConflict] = useState(true);
      const s = state({
        config,
        conflict,
        error: conflict ? "The configuration was changed by someone else" : "",
        reload: async () => {
          setConfig(theirs);
          setConflict(false);
        },
        save: async (next: AppConfig) => {
          saved.push(next);
          return true;
        },
      });
      return <Settings state={s} canConfigure />;
    }
    render(<ThemeProvider><Harness /></ThemeProvider>);
    fireEvent.change(screen.getByLabelText(/Staff numbers/), { target: { value: "+48601234567\n+48602000000" } });
    fireEvent.click(screen.getByText("Reload, keep my changes"));
    await waitFor(() => expect(screen.queryByText(/changed by someone else/)).toBeNull());
    expect((screen.getByLabelText(/Staff numbers/) as HTMLTextAreaElement).value).toBe("+48601234567\n+48602000000");
    fireEvent.click(screen.getByText("Save settings"));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(saved[0].revision).toBe(4);
    expect(saved[0].settings.default_country).toBe("DE");
    expect(saved[0].settings.staff_numbers).toEqual(["+48601234567", "+48602000000"]);
  });

  it("offers Save only once something differs from what is saved", () => {
    const s = state();
    render(<ThemeProvider><Settings state={s} canConfigure /></ThemeProvider>);
    const button = () => screen.getByText("Save settings").closest("button") as HTMLButtonElement;
    expect(button().disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/Default country/), { target: { value: "de" } });
    expect(button().disabled).toBe(false);
    fireEvent.change(screen.getByLabelText(/Default country/), { target: { value: "PL" } });
    expect(button().disabled).toBe(true);
    // The staff numbers count as they will be saved: a blank line added changes nothing.
    fireEvent.change(screen.getByLabelText(/Staff numbers/), { target: { value: "+48601234567\n\n" } });
    expect(button().disabled).toBe(true);
    fireEvent.change(screen.getByLabelText(/Staff numbers/), { target: { value: "+48601234567\n+48602000000" } });
    expect(button().disabled).toBe(false);
  });

  it("cannot save without MANAGE_APPS", () => {
    render(<ThemeProvider><Settings state={state()} canConfigure={false} /></ThemeProvider>);
    expect((screen.getByText("Save settings").closest("button") as HTMLButtonElement).disabled).toBe(true);
  });
});
