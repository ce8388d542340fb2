// The lobby's appointments and phones tab as pure state: a day's appointments (GET
// /appointments) as rows, the booking windows as choices, the numbers taken on phones and
// not yet checked in. No clock, no DOM; times are read from the engine's ISO strings, which
// carry the branch's offset, so the page shows the branch's hours whatever the browser's zone.

import { hhmm } from "./ticket-state.js";

// The day after a YYYY-MM-DD day (calendar arithmetic, no time zone involved).
export function nextDay(day) {
  const [y, m, d] = String(day).split("-").map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}

// Whether an appointment can still be acted on: checked in (today) or cancelled.
function actions(a, today) {
  if (a.status !== "booked") return [];
  return a.day === today ? ["check-in", "cancel"] : ["cancel"];
}

// One row per appointment, in window order: {id, window, service, code, tier, green, note,
// status, ticket, actions}.
export function rows(list, { today = "", lang = "zh", tiers = [] } = {}) {
  const tierName = (code) => {
    const found = tiers.find((x) => x.code === code);
    if (!found) return code;
    return (lang === "en" && found.name_en) ? found.name_en : (found.name || code);
  };
  return (list || []).map((a) => ({
    id: a.id,
    window: `${hhmm(a.start)}–${hhmm(a.end)}`,
    service: a.service,
    serviceName: lang === "en" ? (a.service_name_en || a.service) : (a.service_name || a.service),
    code: a.status === "booked" ? `${a.code.slice(0, 4)} ${a.code.slice(4)}` : "",
    tier: tierName(a.tier),
    green: Boolean(a.green_channel),
    note: a.note || "",
    status: a.status,
    byPhone: a.booked_by === "phone",
    ticket: a.ticket_number || "",
    actions: actions(a, today),
  }));
}

// A day's appointments counted as the tab's headline: {booked, arrived, no_show, cancelled}.
export function counts(list) {
  const out = { booked: 0, arrived: 0, no_show: 0, cancelled: 0 };
  for (const a of list || []) if (a.status in out) out[a.status] += 1;
  return out;
}

// The windows of a service's day as options: {start, label, free, enabled}.
export function windows(slots) {
  return ((slots && slots.windows) || []).map((w) => ({
    start: w.start,
    label: `${hhmm(w.start)}–${hhmm(w.end)}`,
    free: Number(w.free || 0),
    enabled: Number(w.free || 0) > 0,
  }));
}

// The numbers taken on phones, not yet checked in: {id, number, service, taken}.
export function onTheWay(tickets) {
  return (tickets || []).map((tk) => ({
    id: tk.id, number: tk.number, service: tk.service, taken: hhmm(tk.issued_at),
  }));
}

// The code typed in by the lobby, as the engine takes it (8 digits), or null.
export function typedCode(text) {
  const digits = String(text || "").replace(/[\s-]/g, "");
  return /^\d{8}$/.test(digits) ? digits : null;
}
