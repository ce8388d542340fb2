// The phone's ticket page as pure state: the ticket's public state in, what the page says
// out (message keys with their values, translated by the page). No clock, no DOM.
//
// Tones: remote (taken on the phone, not yet checked in at the branch) → wait (people ahead)
// → soon (next in line) → called (go to the counter now) → serving → done; "missed" (skipped,
// or held because its paper ticket did not print: see the lobby manager) and "void"
// (cancelled, lapsed, expired).

// States after which the ticket can change no more: the page stops following it.
export const FINAL = new Set(["finished", "cancelled", "lapsed", "expired"]);

// "HH:MM" of an engine time: the branch's own clock time, as the engine wrote it.
export function hhmm(iso) {
  const m = /T(\d{2}):(\d{2})/.exec(String(iso || ""));
  return m ? `${m[1]}:${m[2]}` : "";
}

export function phase(ticket) {
  if (!ticket) return "loading";
  const s = ticket.status;
  if (s === "remote") return ticket.expired ? "expired" : "remote";
  if (s === "cancelled" && ticket.lapsed) return "lapsed";
  if (ticket.expired && (s === "waiting" || s === "called" || s === "serving" || s === "skipped" || s === "cancelled")) {
    return "expired";
  }
  if (s === "waiting" && ticket.held) return "held";  // out of the line until reprinted
  if (s === "waiting") return Number(ticket.ahead) > 0 ? "waiting" : "next";
  return s;
}

function minutes(seconds) {
  return Math.max(1, Math.ceil(Number(seconds) / 60));
}

// The expected wait as a message: a range when the engine gives one, else one figure.
export function waitMessage(ticket) {
  const range = ticket.estimated_wait_range_s;
  if (Array.isArray(range) && range.length === 2 && range[0] !== null && range[1] !== null) {
    const lo = minutes(range[0]);
    const hi = Math.max(lo, minutes(range[1]));
    return lo === hi ? ["wait.about", { m: lo }] : ["wait.range", { lo, hi }];
  }
  const s = ticket.estimated_wait_s;
  if (s === null || s === undefined) return ["wait.none", {}];
  if (Number(s) < 60) return ["wait.under", {}];
  return ["wait.about", { m: minutes(s) }];
}

// What the service's queue looks like now, for a ticket not yet in it.
export function queueMessage(ticket) {
  const q = ticket.queue;
  if (!q) return null;
  const n = Number(q.waiting || 0);
  const s = q.estimated_wait_s;
  if (s === null || s === undefined) return ["queue.now.nowait", { n }];
  return ["queue.now", { n, m: minutes(s) }];
}

// The counter's name in the page's language.
export function counterName(ticket, lang) {
  if (!ticket || ticket.counter === null || ticket.counter === undefined) return "";
  if (lang === "en") return ticket.counter_name_en || `Counter ${ticket.counter}`;
  return ticket.counter_name || `${ticket.counter}号窗口`;
}

export function serviceName(ticket, lang) {
  if (!ticket) return "";
  return (lang === "en" && ticket.service_name_en) ? ticket.service_name_en : (ticket.service_name || ticket.service || "");
}

// The screen: {tone, number, service, headline, detail, advice, title, final}; headline,
// detail, advice and title are [key, params] or null.
export function screen(ticket, { lang = "zh", missing = false } = {}) {
  if (missing) {
    return { tone: "void", number: "", service: "", headline: ["missing", {}], detail: ["missing.what", {}], advice: null, title: ["title.missing", {}], final: true, code: "", queue: null, note: null };
  }
  const p = phase(ticket);
  if (p === "loading") {
    return { tone: "wait", number: "", service: "", headline: ["loading", {}], detail: null, advice: null, title: ["title", {}], final: false, code: "", queue: null, note: null };
  }
  const appt = ticket.appointment;
  const base = {
    number: ticket.number, service: serviceName(ticket, lang), final: FINAL.has(p), code: "", queue: null,
    note: appt ? ["note.appointment", { from: hhmm(appt.start), to: hhmm(appt.end) }] : null,
  };
  const counter = counterName(ticket, lang);
  const n = ticket.number;
  switch (p) {
    case "remote":
      return { ...base, tone: "remote", headline: ["remote", {}], detail: ["remote.until", { time: hhmm(ticket.remote_until) }], advice: [ticket.remote_place === "taking" ? "advice.remote.taking" : "advice.remote", {}], title: ["title.remote", { number: n }], code: ticket.check_in_code || "", queue: queueMessage(ticket) };
    case "lapsed":
      return { ...base, tone: "void", headline: ["lapsed", {}], detail: ["lapsed.what", {}], advice: null, title: ["title.void", { number: n }] };
    case "waiting":
      return { ...base, tone: "wait", headline: ["ahead", { n: Number(ticket.ahead) }], detail: waitMessage(ticket), advice: ["advice.wait", {}], title: ["title.ahead", { number: n, n: Number(ticket.ahead) }] };
    case "next":
      return { ...base, tone: "soon", headline: ["next", {}], detail: waitMessage(ticket), advice: ["advice.next", {}], title: ["title.next", { number: n }] };
    case "called":
      return { ...base, tone: "called", headline: ["called", { counter }], detail: Number(ticket.call_count) > 1 ? ["called.again", { k: Number(ticket.call_count) }] : ["called.now", {}], advice: null, title: ["title.called", { number: n, counter }] };
    case "serving":
      return { ...base, tone: "serving", headline: ["serving", { counter }], detail: null, advice: null, title: ["title.serving", { number: n }] };
    case "finished":
      return { ...base, tone: "done", headline: ["finished", {}], detail: ["finished.thanks", {}], advice: null, title: ["title.finished", { number: n }] };
    case "held":
      return { ...base, tone: "missed", headline: ["held", {}], detail: ["held.what", {}], advice: null, title: ["title.held", { number: n }] };
    case "skipped":
      return { ...base, tone: "missed", headline: ["skipped", {}], detail: ["skipped.what", {}], advice: null, title: ["title.skipped", { number: n }] };
    case "expired":
      return { ...base, tone: "void", headline: ["expired", {}], detail: ["expired.what", {}], advice: null, title: ["title.void", { number: n }] };
    default:  // cancelled (and a transferred visit, which the engine never shows here)
      return { ...base, tone: "void", headline: ["cancelled", {}], detail: ["cancelled.what", {}], advice: null, title: ["title.void", { number: n }] };
  }
}

// Whether the change from one state to the next should make the phone buzz: being called.
export function alerts(before, after) {
  if (!after) return false;
  const was = before ? phase(before) : null;
  const now = phase(after);
  if (now !== "called") return false;
  return was !== "called" || Number(after.call_count) > Number(before.call_count);
}

// The phases in which a customer may still ask to be told when their turn is near.
const NOTIFIABLE = new Set(["remote", "waiting", "next"]);
// The phases in which one who asked may still be told something (a recall, a missed number
// put back in the line), so may still stop it: nothing new is offered then.
const STOPPABLE = new Set(["called", "skipped"]);

// The "tell me when I'm next" panel: which channels to offer and which are on, whether to
// show the button that stops them (stop) and the line that says they were stopped (stopped).
// options: the branch's (GET /phone/branch → notify: {ahead, push_key, sms}); on: what this
// phone already asked for ({push, sms}); pushSupported: the browser can subscribe at all;
// stopped: this phone just stopped them.
export function notifyPanel(ticket, options, { on = {}, pushSupported = false, stopped = false } = {}) {
  const hidden = { show: false, push: "none", sms: "none", stop: false, stopped: false, ahead: 0 };
  if (!ticket || !options) return hidden;
  const p = phase(ticket);
  let offered = channels(options.push_key, options.sms, { on, pushSupported, stopped });
  if (STOPPABLE.has(p)) offered = stopOnly(offered);
  else if (!NOTIFIABLE.has(p)) return hidden;
  return offered.show ? { ...offered, ahead: Number(options.ahead || 0) } : hidden;
}

// The channels a "remind me" panel offers (push: the branch's VAPID key, and a browser that
// can subscribe; sms: the branch texts this kind of notice), each "offer", "on" (this phone
// asked already) or "none"; stop: some channel is on, so the panel offers to stop it;
// stopped: nothing is on since this phone stopped it; show: whether any is left to show.
export function channels(pushKey, sms, { on = {}, pushSupported = false, stopped = false } = {}) {
  const push = pushKey ? (on.push ? "on" : pushSupported ? "offer" : "none") : "none";
  const text = sms ? (on.sms ? "on" : "offer") : "none";
  const stop = push === "on" || text === "on";
  const said = stopped && !stop;
  return { show: push !== "none" || text !== "none" || said, push, sms: text, stop, stopped: said };
}

// Only what is on and the way to stop it, or that it was stopped: nothing new to ask for.
function stopOnly(offered) {
  const push = offered.push === "on" ? "on" : "none";
  const sms = offered.sms === "on" ? "on" : "none";
  return { ...offered, show: offered.stop || offered.stopped, push, sms };
}

// A mainland mobile number as the engine takes it (queue_core/notify/phones.py: 11 digits
// 1[3-9]…, spaces, dashes and a +86 prefix allowed), or null: the page says so before sending.
export function phoneNumber(text) {
  let digits = String(text || "").replace(/[\s\-()]/g, "");
  for (const prefix of ["+86", "0086", "86"]) {
    if (digits.startsWith(prefix) && digits.length - prefix.length === 11) {
      digits = digits.slice(prefix.length);
      break;
    }
  }
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

// Whether the holder may give the ticket back from the phone (a remote one, or one waiting).
export function cancellable(ticket) {
  const p = phase(ticket);
  return p === "remote" || p === "waiting" || p === "next";
}
