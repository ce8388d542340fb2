// The branch's phone page as pure state (GET /phone/branch in, what the page shows out): each
// service's queue and expected wait, whether a number can be taken from the phone now, and
// the booking of an appointment window. No clock, no DOM; words are message keys.

import { channels, hhmm } from "./ticket-state.js";

function minutes(seconds) {
  return Math.max(1, Math.ceil(Number(seconds) / 60));
}

export function named(obj, lang) {
  if (!obj) return "";
  return (lang === "en" && obj.name_en) ? obj.name_en : (obj.name || obj.code || "");
}

// One row per service: {code, name, queue: [key, params], take, book, why}.
// take/book: whether the buttons are offered; why: a message when taking is not possible now.
export function rows(branch, lang = "zh") {
  if (!branch) return [];
  const remote = branch.remote || {};
  const booking = branch.appointments || {};
  return (branch.services || []).map((s) => {
    const n = Number(s.waiting || 0);
    let queue;
    if (s.estimated_wait_s === null || s.estimated_wait_s === undefined) queue = ["queue.closed", { n }];
    else if (Number(s.estimated_wait_s) < 60) queue = ["queue.short", { n }];
    else queue = ["queue.wait", { n, m: minutes(s.estimated_wait_s) }];
    let why = null;
    if (!remote.enabled) why = null;  // the page says once that numbers are taken at the kiosk
    else if (!branch.open) why = ["why.closed", {}];
    else if (s.remote === false) why = [`why.${s.remote_reason || "full"}`, {}];
    return {
      code: s.code,
      name: named(s, lang),
      queue,
      take: Boolean(remote.enabled && branch.open && s.remote !== false),
      book: Boolean(booking.phone && (booking.services || []).includes(s.code)),
      why,
    };
  });
}

// What the page says above the list: whether the phone can take numbers here at all.
export function intro(branch) {
  if (!branch) return ["loading", {}];
  const remote = branch.remote || {};
  if (!remote.enabled) return ["intro.kiosk_only", {}];
  if (!branch.open) return ["intro.closed", { from: branch.opening || "", to: branch.closing || "" }];
  const m = Math.round(Number(remote.valid_s || 0) / 60);
  return [remote.place === "taking" ? "intro.remote.taking" : "intro.remote", { m }];
}

// The confirmation before a number is taken: what will happen next.
export function confirmTake(branch, code, lang = "zh") {
  const s = (branch && branch.services || []).find((x) => x.code === code);
  if (!s) return null;
  const remote = branch.remote || {};
  return {
    code, name: named(s, lang),
    what: [remote.place === "taking" ? "take.what.taking" : "take.what", { m: Math.round(Number(remote.valid_s || 0) / 60) }],
  };
}

// The booking's windows as buttons: {start, end, label, free, enabled}.
export function windows(slots) {
  return (slots && slots.windows || []).map((w) => ({
    start: w.start,
    end: w.end,
    label: `${hhmm(w.start)}–${hhmm(w.end)}`,
    free: Number(w.free || 0),
    enabled: Number(w.free || 0) > 0,
  }));
}

// The days that can be booked, as buttons: {day, label: [key, params]}; today and tomorrow
// by name, the others by date.
export function days(branch) {
  const list = (branch && branch.appointments && branch.appointments.days) || [];
  const today = branch && branch.today;
  return list.map((day) => {
    const [, mm, dd] = day.split("-");
    const offset = today ? Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86400000) : null;
    if (offset === 0) return { day, label: ["day.today", { m: Number(mm), d: Number(dd) }] };
    if (offset === 1) return { day, label: ["day.tomorrow", { m: Number(mm), d: Number(dd) }] };
    return { day, label: ["day.date", { m: Number(mm), d: Number(dd) }] };
  });
}

// An appointment's page: {tone, headline, detail, advice, code, final, ticket}.
export function appointment(a) {
  if (!a) return { tone: "wait", headline: ["loading", {}], detail: null, advice: null, code: "", final: false, ticket: null };
  const when = ["appt.when", { day: a.day, from: hhmm(a.start), to: hhmm(a.end) }];
  switch (a.status) {
    case "booked":
      return { tone: "remote", headline: ["appt.booked", {}], detail: when, advice: ["appt.advice", {}], code: a.code || "", final: false, ticket: null };
    case "arrived":
      return { tone: "wait", headline: ["appt.arrived", {}], detail: when, advice: null, code: "", final: true, ticket: a.ticket_url || null };
    case "no_show":
      return { tone: "void", headline: ["appt.no_show", {}], detail: when, advice: ["appt.no_show.what", {}], code: "", final: true, ticket: null };
    default:
      return { tone: "void", headline: ["appt.cancelled", {}], detail: when, advice: null, code: "", final: true, ticket: null };
  }
}

// The check-in page: what this phone holds and what the engine answered.
// held: how many numbers and appointments this phone holds; result: the engine's answer
// ({tickets: [public ticket with public_url]}); error: the refusal's code.
export function checkin({ held = 0, result = null, error = null } = {}) {
  if (error) return { tone: "void", headline: ["checkin.failed", {}], error, advice: null, go: null };
  if (!held) return { tone: "void", headline: ["checkin.none", {}], error: null, advice: ["checkin.none.what", {}], go: null };
  if (!result) return { tone: "wait", headline: ["checkin.working", {}], error: null, advice: null, go: null };
  const done = (result.tickets || []).filter((x) => x.status !== "remote");
  if (!done.length) return { tone: "void", headline: ["checkin.nothing", {}], error: null, advice: ["checkin.none.what", {}], go: null };
  const numbers = done.map((x) => x.number).join(" ");
  return { tone: "serving", headline: ["checkin.done", { numbers }], error: null, advice: null, go: done[0].public_url };
}

// The appointment's "remind me" panel: {show, push, sms, stop, stopped, at, m} (as the ticket
// page's, ticket-state.channels). Offered only while it is booked and its reminder is still
// ahead (remind_at, which the engine works out by its own clock), and only on the channels
// the branch reminds by (GET /phone/branch → notify: push_key, sms_reminder). at: the
// reminder's "HH:MM"; m: how long before the window.
export function remindPanel(a, options, { on = {}, pushSupported = false, stopped = false } = {}) {
  const hidden = { show: false, push: "none", sms: "none", stop: false, stopped: false, at: "", m: 0 };
  if (!a || a.status !== "booked" || !a.remind_at || !options) return hidden;
  const offered = channels(options.push_key, options.sms_reminder, { on, pushSupported, stopped });
  if (!offered.show) return hidden;
  const m = Math.round((Date.parse(a.start) - Date.parse(a.remind_at)) / 60000);
  return { ...offered, at: hhmm(a.remind_at), m };
}
