// The lobby console as pure state: events and API answers in, the hall's model out.
// Queue order is the engine's (GET /queue): this module never sorts waiting tickets itself.

const LIVE = new Set(["called", "serving"]);
export const THRESHOLD_S = 180;

function seconds(iso) {
  if (iso === null || iso === undefined) return null;
  if (typeof iso === "number") return iso;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

export function initial() {
  return {
    seq: null, counters: {}, summary: {}, queue: null, skipped: {}, announcements: {}, help: {},
    devices: {}, lastCalls: [], queueDirty: true, forecast: null, advice: {},
  };
}

function putCounter(state, counter) {
  if (!counter || counter.number === undefined) return state;
  return { ...state, counters: { ...state.counters, [counter.number]: counter } };
}

export function setCounters(state, list) {
  const counters = {};
  for (const c of list || []) counters[c.number] = c;
  return { ...state, counters };
}

export function setQueue(state, queue) {
  return { ...state, queue, queueDirty: false };
}

export function setSkipped(state, tickets) {
  const skipped = {};
  for (const t of tickets || []) if (t.status === "skipped") skipped[t.id] = t;
  return { ...state, skipped };
}

// A CSV line split into fields (RFC 4180 quoting), for the day's tickets CSV.
function csvFields(line) {
  const out = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { field += '"'; i += 1; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { out.push(field); field = ""; }
    else field += c;
  }
  out.push(field);
  return out;
}

// The skipped visits in the day's tickets CSV (GET /stats/daily.csv): the one listing of the
// day's tickets the engine offers, so a console opened after a skip still shows it.
export function skippedFromCsv(text) {
  const lines = String(text || "").replace(/^\uFEFF/, "").split(/\r?\n/).filter((l) => l.trim());
  if (!lines.length) return [];
  const head = csvFields(lines[0]);
  const tickets = [];
  for (const line of lines.slice(1)) {
    const f = csvFields(line);
    const row = Object.fromEntries(head.map((h, i) => [h, f[i] ?? ""]));
    if (row.status !== "skipped") continue;
    tickets.push({
      id: row.id, number: row.number, service: row.service, tier: row.tier,
      green_channel: row.green_channel === "1" || row.green_channel === "true",
      status: "skipped", counter: row.counter === "" ? null : Number(row.counter),
      issued_at: row.issued_at || null, called_at: row.called_at || null,
      finished_at: row.finished_at || null, visit: Number(row.visit || 1),
    });
  }
  return tickets;
}

export function setAnnouncements(state, list) {
  const announcements = {};
  for (const a of list || []) if (a.active !== false) announcements[a.id] = a;
  return { ...state, announcements };
}

// The kiosks' open "请大堂经理帮忙" requests, by id.
export function setHelp(state, list) {
  const help = {};
  for (const h of list || []) if (h.state === "open") help[h.id] = h;
  return { ...state, help };
}

export function setDevices(state, list) {
  const devices = {};
  for (const d of list || []) devices[d.name] = d;
  return { ...state, devices };
}

// GET /staffing: the latest forecast and today's advice.
export function setStaffing(state, body) {
  const advice = {};
  for (const a of (body && body.advice) || []) advice[a.id] = a;
  return { ...state, forecast: (body && body.forecast) || null, advice, outcomes: (body && body.outcomes) || [] };
}

function ticketSeen(state, ticket) {
  if (!ticket) return state;
  let next = state;
  const skipped = { ...state.skipped };
  if (ticket.status === "skipped") skipped[ticket.id] = ticket;
  else delete skipped[ticket.id];
  next = { ...next, skipped };
  // Keep the counters' "current" in step between counter.updated events.
  if (ticket.counter !== null && ticket.counter !== undefined && next.counters[ticket.counter]) {
    const c = next.counters[ticket.counter];
    if (LIVE.has(ticket.status)) next = putCounter(next, { ...c, current: ticket });
    else if (c.current && c.current.id === ticket.id) next = putCounter(next, { ...c, current: null });
  }
  return next;
}

export function applyEvent(state, event) {
  const data = event.data || {};
  let next = { ...state, seq: event.seq ?? state.seq };
  switch (event.type) {
    case "snapshot":
      next = setCounters(next, data.counters);
      next = setAnnouncements(next, data.announcements);
      next = setHelp(next, data.help);
      return { ...next, summary: data.queue || {}, lastCalls: data.last_calls || [], queueDirty: true };
    case "counter.updated":
      return putCounter(next, data.counter);
    case "announcement": {
      const announcements = { ...next.announcements };
      if (data.active === false) delete announcements[data.id];
      else announcements[data.id] = data;
      return { ...next, announcements };
    }
    case "help": {
      const help = { ...next.help };
      if (data.state === "open") help[data.id] = data;
      else delete help[data.id];
      return { ...next, help };
    }
    case "staffing.advice":
      return data.advice ? { ...next, advice: { ...next.advice, [data.advice.id]: data.advice } } : next;
    case "staffing.alert":
      return data.forecast ? { ...next, forecast: data.forecast } : next;
    case "device.updated":
      return data.device ? { ...next, devices: { ...next.devices, [data.device.name]: data.device } } : next;
    default:
      break;
  }
  if (event.type && event.type.startsWith("ticket.")) {
    next = ticketSeen(next, data.ticket);
    if (data.new_ticket) next = ticketSeen(next, data.new_ticket);
    if (data.queue) next = { ...next, summary: data.queue };
    if (event.type === "ticket.called" && data.ticket) {
      next = { ...next, lastCalls: [{ ticket: data.ticket, counter: data.counter, at: event.at }, ...next.lastCalls].slice(0, 10) };
    }
    return { ...next, queueDirty: true };
  }
  return next;
}

function ticketRow(t, now, tierNames = {}) {
  const issued = seconds(t.issued_at);
  const waited = issued === null ? null : Math.max(0, now - issued);
  return {
    id: t.id, number: t.number, service: t.service, tier: t.tier, tierName: t.tier_name || tierNames[t.tier] || t.tier,
    vip: Boolean(t.is_vip), green: Boolean(t.green_channel),
    waitedS: waited, over: waited !== null && waited > THRESHOLD_S, visit: t.visit || 1,
    counter: t.counter ?? null, status: t.status,
  };
}

// The hall at `now`: every service's queue in the engine's order, counters, skipped and held
// tickets.
export function hall(state, now, branch) {
  const services = (branch && branch.services) || [];
  const tierNames = {};
  for (const tier of (branch && branch.tiers) || []) tierNames[tier.code] = tier.name || tier.code;
  const lists = {};
  for (const s of (state.queue && state.queue.services) || []) lists[s.code] = s.waiting || [];
  const codes = services.length ? services.map((s) => s.code) : Object.keys(lists);
  const queues = codes.map((code) => {
    const info = services.find((s) => s.code === code) || { code };
    const tickets = (lists[code] || []).map((t) => ticketRow(t, now, tierNames));
    const summary = state.summary[code] || {};
    return {
      code, name: info.name || code, nameEn: info.name_en || info.name || code,
      waiting: lists[code] ? tickets.length : summary.waiting ?? 0,
      estimatedWaitS: summary.estimated_wait_s ?? null,
      longestS: tickets.reduce((m, t) => Math.max(m, t.waitedS || 0), 0),
      tickets,
    };
  });
  const counters = Object.values(state.counters)
    .sort((a, b) => Number(a.number) - Number(b.number))
    .map((c) => ({
      number: c.number, name: c.name, nameEn: c.name_en || c.name, state: c.state,
      reason: c.paused_reason || null, teller: c.teller || null, services: c.services || [],
      current: c.current && LIVE.has(c.current.status) ? ticketRow(c.current, now, tierNames) : null,
      waiting: typeof c.waiting === "number" ? c.waiting : Array.isArray(c.waiting) ? c.waiting.length : null,
    }));
  const skipped = Object.values(state.skipped)
    .map((t) => ({ ...ticketRow(t, now, tierNames), skippedAt: seconds(t.finished_at) }))
    .sort((a, b) => (a.skippedAt || 0) - (b.skippedAt || 0));
  // Waiting tickets whose paper did not print: out of the line until reprinted or released.
  const held = [];
  for (const s of (state.queue && state.queue.services) || []) {
    for (const t of s.held || []) {
      held.push({ ...ticketRow(t, now, tierNames), heldAt: seconds(t.held_at),
        reason: t.held_reason || "", issuedBy: t.issued_by || null });
    }
  }
  held.sort((a, b) => (a.heldAt || 0) - (b.heldAt || 0));
  const announcements = Object.values(state.announcements);
  const help = Object.values(state.help || {}).sort((a, b) => String(a.at).localeCompare(String(b.at)));
  const totalWaiting = queues.reduce((n, q) => n + q.waiting, 0);
  return { queues, counters, skipped, held, announcements, help, totalWaiting };
}

function healthOf(device) {
  const status = device.status || null;
  if (status === "error") return "error";
  if (status === "warning") return "warning";
  // reported "unknown": the device cannot tell (a printer it cannot ask); never reported: unknown
  if (status === "unknown" && device.reported_at) return "unreadable";
  if (!device.reported_at && !device.connected) return "unknown";
  if (device.role === "display" && device.connected === false) return "warning";
  return status === "ok" ? "ok" : device.connected ? "ok" : "unknown";
}

// What each detail means to the lobby manager: paper, signs answering, the display's link.
function notes(detail) {
  const out = [];
  if (!detail || typeof detail !== "object") return out;
  if ("paper" in detail) out.push({ key: "paper", value: String(detail.paper) });
  for (const [k, v] of Object.entries(detail)) {
    if (k === "paper") continue;
    out.push({ key: k, value: readable(v) });
  }
  return out;
}

// A detail's value as words that wrap: a list as "a, b", a map as "a ok, b dead" (a bus of
// sixteen devices stays readable, and no one long token stretches the table past the window).
function readable(value) {
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return value.map(readable).join(", ") || "–";
  return Object.entries(value).map(([k, v]) => `${k} ${readable(v)}`).join(", ") || "–";
}

// The kiosks a held ticket can be reprinted at, the one that issued it first.
export function kiosksFor(state, issuedBy) {
  const names = Object.values(state.devices).filter((d) => d.role === "kiosk").map((d) => d.name).sort();
  if (issuedBy && names.includes(issuedBy)) return [issuedBy, ...names.filter((n) => n !== issuedBy)];
  return names;
}

export function devices(state, now) {
  return Object.values(state.devices)
    .map((d) => {
      const reported = seconds(d.reported_at);
      return {
        name: d.name, role: d.role, health: healthOf(d), status: d.status || null,
        connected: Boolean(d.connected), lastSeq: d.last_seq_sent ?? null,
        reportedAgoS: reported === null ? null : Math.max(0, now - reported),
        notes: notes(d.detail),
      };
    })
    .sort((a, b) => (a.role + a.name).localeCompare(b.role + b.name));
}

const pctOf = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

// The staffing panel: the forecast against the target, the open advice, and today's record of
// what was done after each (newest first). Words come from `t` (the console's strings).
export function staffing(state, t, counterName, clockOf, dur) {
  const f = state.forecast;
  const minutes = f ? Math.round(f.over_s / 60) : 3;
  const forecast = f ? {
    alert: Boolean(f.alert),
    text: t("staff.forecast", {
      p: pctOf(f.over_share), m: minutes, t: pctOf(f.max_over_share),
      w: dur(f.mean_wait_s), at: clockOf(f.at),
    }),
    alertText: t("staff.alert", { p: pctOf(f.over_share), m: minutes }),
  } : null;
  const rows = Object.values(state.advice).map((a) => {
    const c = counterName(a);
    const services = (a.services || []).join("/");
    const what = a.kind === "close" ? t("staff.close", { c, at: clockOf(a.effective_at) })
      : a.kind === "take" ? t("staff.take", { c, s: services })
        : services ? t("staff.open.for", { c, s: services }) : t("staff.open", { c });
    const figure = t("staff.figure", {
      m: minutes, a: pctOf(a.over_share_before), b: pctOf(a.over_share_after),
      x: Math.round(a.mean_wait_s_before / 60), y: Math.round(a.mean_wait_s_after / 60),
    });
    const outcome = a.observed_over_share === null || a.observed_over_share === undefined
      ? (a.state === "open" ? "" : t("staff.observing"))
      : t("staff.observed", { p: pctOf(a.observed_over_share), m: minutes, n: a.observed_customers });
    return {
      id: a.id, state: a.state, open: a.state === "open", what, figure, outcome,
      given: clockOf(a.given_at), stateText: t(a.state === "open" ? "staff.open.state" : `staff.${a.state}`),
      givenAt: Date.parse(a.given_at) || 0,
    };
  }).sort((x, y) => y.givenAt - x.givenAt || y.id - x.id);
  // Whether following helped: the hours after the day's advice by what was done (the engine's figures).
  const outcomes = (state.outcomes || []).map((o) => {
    const s = t(`staff.${o.state}`);
    const text = o.observed_over_share === null || o.observed_over_share === undefined
      ? t("staff.outcome.counting", { s, k: o.advice })
      : t("staff.outcome", {
        s, k: o.advice, m: minutes, a: pctOf(o.forecast_over_share_before), b: pctOf(o.forecast_over_share_after),
        p: pctOf(o.observed_over_share), n: o.customers, j: o.observed_advice,
      });
    return { state: o.state, text };
  });
  return { forecast, open: rows.filter((r) => r.open), done: rows.filter((r) => !r.open), outcomes };
}
