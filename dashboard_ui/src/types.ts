export interface ProviderField {
  name: string;
  label: string;
  secret: boolean;
  required: boolean;
  help: string;
  default: string | null;
}
export interface ProviderType {
  type: string;
  label: string;
  receives_inbound: boolean;
  fields: ProviderField[];
}
export interface Token {
  name: string;
  description: string;
  example: string;
}
export interface Metadata {
  events: { name: string; label: string }[];
  order_statuses: string[];
  message_statuses: string[];
  providers: ProviderType[];
  tokens: Token[];
}
export interface ProviderConfig {
  id: string;
  type: string;
  name: string;
  enabled: boolean;
  sender: string;
  channels: string[];
  options: Record<string, string | number | boolean | null>;
  secrets: Record<string, string>;
  secrets_set?: Record<string, boolean>;
  /** Campaign messages per second through this provider (null: no limit). */
  messages_per_second?: number | null;
  delivery_report_url?: string | null;
  inbound_url?: string | null;
}
export interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  event: string;
  conditions: RuleConditions;
  recipients: { customer: boolean; staff: boolean; numbers: string[] };
  template: string;
  delay_minutes: number;
  send_only_if: SendOnlyIf;
  send_no_later_than_minutes: number | null;
  /** Marketing texts end with the opt-out line of Settings; transactional ones do not. */
  marketing?: boolean;
  /** Texts per language code (DE, PT_BR ...); the order's language picks one, else `template`. */
  templates?: Record<string, string>;
  /** "Send at any hour": quiet hours and the marketing caps do not hold it back. */
  transactional?: boolean;
}
/** What the order must be like when the rule's event happens; empty checks nothing. */
export interface RuleConditions {
  statuses: string[];
  channels: string[];
  shipping_countries?: string[];
  billing_countries?: string[];
  total_min?: number | null;
  total_max?: number | null;
  shipping_methods?: string[];
  charge_statuses?: string[];
  customer?: "any" | "guest" | "registered";
  order_of_customer?: "any" | "first" | "repeat";
  metadata_key?: string;
  metadata_value?: string;
}
export interface SendOnlyIf {
  statuses: string[];
  statuses_not: string[];
  charge_statuses: string[];
  not_cancelled: boolean;
  not_fulfilled: boolean;
  not_refunded: boolean;
}
export interface ScheduledRun {
  id: number;
  kind: string;
  rule_id: string | null;
  rule_name: string | null;
  event: string | null;
  order_id: string | null;
  order_number: string | null;
  due_at: string;
  send_before: string | null;
  state: string;
  attempts: number;
  reason_code: string | null;
  reason_text: string | null;
}
export interface ScheduledPage {
  runs: ScheduledRun[];
  total: number;
  page: number;
  page_size: number;
}
export interface ShopSettings {
  default_country: string;
  staff_country: string;
  staff_numbers: string[];
  phone_metadata_key: string;
  low_balance_threshold: number | null;
  dry_run: { enabled: boolean; number: string };
  /** Messages older than this many days are deleted or blanked (retention_mode). */
  retention_days: number;
  retention_mode: "delete" | "blank";
  help_reply: string;
  opt_out_line: string;
  checkout_reminders: CheckoutReminders;
  stock_alerts: StockAlerts;
  /** No automation, delayed or marketing text between start and end of the recipient's local time. */
  quiet_hours: { enabled: boolean; start: string; end: string };
  /** IANA zone: quiet hours for numbers of countries with several zones. */
  shop_time_zone: string;
  marketing_cap_per_day: number | null;
  marketing_cap_per_week: number | null;
}
/** Abandoned-checkout reminders (Settings): marketing texts, only with consent. */
export interface CheckoutReminders {
  enabled: boolean;
  consent_metadata_key: string;
  /** Channel slug → URL template holding {checkout.token}. */
  storefront_urls: Record<string, string>;
  steps: { delay_minutes: number; template: string }[];
}
/** Staff texts about stock, gathered 10 minutes into one SMS. */
export interface StockAlerts {
  out_of_stock: boolean;
  back_in_stock: boolean;
  low_stock_threshold: number | null;
}
export interface AppConfig {
  schema_version: number;
  revision: number;
  settings: ShopSettings;
  providers: ProviderConfig[];
  rules: Rule[];
  kind: string;
}
export interface LogRow {
  id: number;
  created_at: string;
  /** outbound (the app sent it) or inbound (a customer texted the shop). */
  direction: string;
  /** Clicks on the message's tracked links. */
  clicks: number;
  event: string;
  order_id: string | null;
  order_number: string | null;
  rule_name: string | null;
  recipient_type: string;
  phone: string;
  body: string;
  segments: number;
  provider: string | null;
  provider_id: string | null;
  /** The merchant's name for the provider (two Twilio accounts differ only by it). */
  provider_name: string | null;
  attempt_count: number;
  status: string;
  status_changed_at: string | null;
  delivery_code: string | null;
  error_code: string | null;
  /** A short name for the reason; the full text is error_text. */
  error_label: string | null;
  error_text: string | null;
  error_hint: string | null;
  price: string | null;
  currency: string | null;
}
export interface MessageAttempt {
  id: number;
  created_at: string | null;
  provider_id: string;
  provider_name: string | null;
  provider: string;
  outcome: string;
  provider_message_id: string | null;
  error_code: string | null;
  error_label: string | null;
  error_text: string | null;
  hint: string | null;
  temporary: boolean | null;
  duration_ms: number | null;
  raw_response: string | null;
}
export interface DeliveryReportRow {
  id: number;
  received_at: string | null;
  provider: string;
  provider_message_id: string;
  status: string;
  provider_code: string | null;
  raw: string | null;
}
export interface MessageDetail {
  /** phone_full is set only for staff who may see customers' orders. */
  message: LogRow & { phone_full: string | null; encoding: string; sender: string | null };
  attempts: MessageAttempt[];
  delivery_reports: DeliveryReportRow[];
}
export interface LogPage {
  rows: LogRow[];
  /** At most 1,000: the log stops counting there (total_capped). */
  total: number;
  total_capped: boolean;
  page: number;
  per_page: number;
  pages: number;
  /** Where the next page starts, or null on the last page. */
  next_cursor: string | null;
}
export interface DayCount {
  day: string;
  status: string;
  count: number;
  cost: Record<string, string>;
}
export interface OrderSummary {
  id: string;
  number: string;
  created: string;
  customer_name: string;
  total: string;
}
export interface SuppressionRow {
  phone: string;
  reason: string;
  source: string;
  added_at: string;
}
export interface SuppressionPage {
  rows: SuppressionRow[];
  total: number;
  page: number;
  pages: number;
}
export interface ImportAnswer {
  added: number;
  already: number;
  problems: { line: number; text: string; reason: string }[];
}

export interface AudiencePreview {
  would_get: number;
  left_out: { reason: string; label: string; count: number }[];
  examples: { name: string; phone: string }[];
  customers: number;
  counted: number;
  complete: boolean;
}

export interface NumbersCheck {
  valid: number;
  duplicates: number;
  problems: { line: number; text: string; reason: string }[];
  problem_count: number;
  numbers: string;
}

export interface CampaignEstimate {
  text: string;
  segments: number;
  encoding: string;
  recipients: number;
  cost: { currency: string; per_segment: string; total: string }[];
}

export interface CampaignProgress {
  queued: number;
  sent: number;
  delivered: number;
  failed: number;
  skipped: number;
  total: number;
  read: number;
  time_left_seconds: number | null;
  clicks: number;
  slowed: boolean;
}

export interface Campaign {
  id: number;
  name: string;
  state: "scheduled" | "sending" | "paused" | "cancelled" | "done";
  template: string;
  audience: Record<string, unknown> | null;
  numbers: number | null;
  send_at: string;
  created_at: string;
  created_by: string;
  finished_at: string | null;
  reason: string | null;
  progress: CampaignProgress;
}

export interface DailySendDay {
  day: string;
  missed: boolean;
  occurrences: number;
  bad_dates: number;
  done: boolean;
}

export interface DailySend {
  id: number;
  name: string;
  enabled: boolean;
  hour: number;
  source: "birthday" | "joined" | "last_order" | "metadata_date";
  date_key: string;
  offset_amount: number;
  offset_unit: "days" | "months" | "years";
  /** once: N days/months/years after; yearly: every year on the date (birthdays always). */
  repeat: "once" | "yearly";
  /** A birthday or yearly anniversary texted this many days ahead (0–30). */
  days_before: number;
  /** A yearly anniversary's first year texted. */
  from_year: number;
  audience: Record<string, unknown>;
  template: string;
  next_run_at: string | null;
  days: DailySendDay[];
}

/** What a "Send SMS" popup loads first (GET /manual/start). */
export interface PopupStart {
  email: string;
  rules: { id: string; name: string; template: string }[];
}
