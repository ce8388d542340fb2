// The lobby manager's console: wiring of lobby-state and figures (pure) to the DOM, the API
// and the events. Four tabs: the hall live, the devices before opening, appointments and the
// numbers taken on phones (lobby-appointments.js), the day's figures.

import { Api, ApiError, explain, login, statusWord } from "./api.js";
import { barChart } from "./charts.js";
import { EventStream } from "./events.js";
import * as fig from "./figures.js";
import { branchClock, clock, duration, escapeHtml as esc } from "./format.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as appointments from "./lobby-appointments.js";
import * as lobby from "./lobby-state.js";
import * as session from "./session.js";
import { STRINGS } from "./lobby-strings.js";

const KEY = "branchq.lobby";
const TABS = ["hall", "devices", "appointments", "figures"];
const LOOK_TIMEOUT_MS = 60000;
const PLAN_POLL_MS = 2000;
const $ = (sel) => document.querySelector(sel);
let api = null;
let stream = null;
let branch = { services: [], tiers: [], counters: [] };
let state = lobby.initial();
let tab = "hall";
let stats = null;
let queueTimer = null;

const now = () => Date.now() / 1000;
const lang = () => i18n.current();
const dur = (s) => duration(s, lang());

function say(text, kind = "ok") {
  const el = $("#message");
  el.textContent = text;
  el.className = `message ${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

async function run(work, done) {
  try {
    const result = await work();
    if (done) say(typeof done === "function" ? done(result) : done);
    return result;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return relogin();
    say(explain(err, lang()), "error");
    return undefined;
  }
}

function serviceName(code) {
  const s = (branch.services || []).find((x) => x.code === code);
  return s ? i18n.named(s) : code;
}

function counterOptions(selected = "") {
  const opts = [`<option value="">${esc(t("any.counter"))}</option>`];
  for (const c of branch.counters || []) {
    opts.push(`<option value="${c.number}"${String(selected) === String(c.number) ? " selected" : ""}>${esc(i18n.named(c))}</option>`);
  }
  return opts.join("");
}

function badges(tk) {
  const out = [];
  if (tk.vip) out.push(`<span class="badge vip">${esc(tk.tierName)}</span>`);
  if (tk.green) out.push(`<span class="badge green">${esc(t("green"))}</span>`);
  if (tk.visit > 1) out.push(`<span class="badge">${esc(t("transferred"))}</span>`);
  return out.join("");
}

function renderCounters(model) {
  $("#counters").innerHTML = model.counters.map((c) => {
    const cur = c.current;
    const ops = [];
    if (c.state !== "open") ops.push(`<button type="button" data-op="counter" data-action="${c.state === "paused" ? "resume" : "open"}" data-counter="${c.number}">${esc(t(c.state === "paused" ? "op.resume" : "op.open"))}</button>`);
    if (c.state === "open") ops.push(`<button type="button" data-op="counter" data-action="pause" data-counter="${c.number}">${esc(t("op.pause"))}</button>`);
    if (c.state !== "closed") ops.push(`<button type="button" data-op="counter" data-action="close" data-counter="${c.number}">${esc(t("op.close"))}</button>`);
    return `<div class="counter state-${esc(c.state)}" data-counter="${c.number}">
      <div class="head"><strong>${esc(lang() === "en" ? c.nameEn : c.name)}</strong><span class="chip state-${esc(c.state)}">${esc(statusWord(c.state, lang()))}</span></div>
      <div class="cur ${cur ? esc(cur.status) : ""}">${cur ? esc(cur.number) : "—"}</div>
      <div class="muted">${cur ? `${esc(statusWord(cur.status, lang()))} · ${esc(t("waited", { w: dur(cur.waitedS) }))}` : esc(c.reason || "")}</div>
      <div class="muted">${esc([c.teller, c.waiting !== null ? t("counter.waiting", { n: c.waiting }) : null].filter(Boolean).join(" · "))}</div>
      <div class="ops">${ops.join("")}</div></div>`;
  }).join("");
}

function renderQueues(model) {
  const moveOptions = (code) => (branch.services || []).filter((s) => s.code !== code)
    .map((s) => `<option value="${esc(s.code)}">${esc(s.code)} ${esc(i18n.named(s))}</option>`).join("");
  $("#queues").innerHTML = model.queues.map((q) => `
    <div class="queue" data-service="${esc(q.code)}">
      <h2><span>${esc(q.code)} ${esc(lang() === "en" ? q.nameEn : q.name)}</span><span class="count">${q.waiting}</span></h2>
      <ol>${q.tickets.map((tk) => `
        <li data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}"><span class="num">${esc(tk.number)}</span>${badges(tk)}
          <span class="wait${tk.over ? " over" : ""}">${esc(dur(tk.waitedS))}</span>
          <span class="ops">
            <select data-op="move" data-ticket="${esc(tk.id)}" aria-label="${esc(t("op.move"))}"><option value="">${esc(t("op.move"))}</option>${moveOptions(q.code)}</select>
            <button type="button" data-op="cancel" data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}">${esc(t("op.cancel"))}</button>
          </span></li>`).join("")}
      </ol>
    </div>`).join("");
}

function renderSkipped(model) {
  $("#skipped-count").textContent = String(model.skipped.length);
  $("#skipped").innerHTML = model.skipped.length ? model.skipped.map((tk) => `
    <div class="row" data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}">
      <span class="num">${esc(tk.number)}</span>${badges(tk)}
      <span class="ago">${esc(serviceName(tk.service))}${tk.counter ? ` · ${esc(t("at.counter", { n: tk.counter }))}` : ""}</span>
      <span class="spacer"></span>
      <select data-role="reassign-counter" aria-label="${esc(t("reassign.counter"))}">${counterOptions()}</select>
      <button type="button" data-op="reassign" data-position="front" data-ticket="${esc(tk.id)}">${esc(t("op.front"))}</button>
      <button type="button" data-op="reassign" data-position="back" data-ticket="${esc(tk.id)}">${esc(t("op.back"))}</button>
      <button type="button" data-op="cancel" data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}">${esc(t("op.cancel"))}</button>
    </div>`).join("") : `<p class="muted">${esc(t("skipped.none"))}</p>`;
}

function kioskOptions(issuedBy) {
  const names = lobby.kiosksFor(state, issuedBy);
  return names.map((n) => `<option value="${esc(n)}">${esc(n)}</option>`).join("");
}

function renderHeld(model) {
  $("#held-count").textContent = String(model.held.length);
  $("#held").innerHTML = model.held.length ? model.held.map((tk) => `
    <div class="row" data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}">
      <span class="num">${esc(tk.number)}</span>${badges(tk)}
      <span class="ago">${esc(serviceName(tk.service))} · ${esc(word("print", tk.reason))}${tk.issuedBy ? ` · ${esc(tk.issuedBy)}` : ""}</span>
      <span class="spacer"></span>
      <select data-role="reprint-kiosk" aria-label="${esc(t("reprint.kiosk"))}">${kioskOptions(tk.issuedBy)}</select>
      <button type="button" data-op="reprint" data-ticket="${esc(tk.id)}">${esc(t("op.reprint"))}</button>
      <button type="button" data-op="release" data-ticket="${esc(tk.id)}">${esc(t("op.release"))}</button>
      <button type="button" data-op="cancel" data-ticket="${esc(tk.id)}" data-number="${esc(tk.number)}">${esc(t("op.cancel"))}</button>
    </div>`).join("") : `<p class="muted">${esc(t("held.none"))}</p>`;
}

function renderAnnouncements(model) {
  $("#announcements").innerHTML = model.announcements.map((a) => `
    <div class="ann" data-announcement="${esc(a.id)}"><span>${esc(a.text)}${a.until ? ` <small class="muted">→ ${esc(clock(a.until))}</small>` : ""}</span>
      <button type="button" data-op="end-announcement" data-id="${esc(a.id)}">${esc(t("ann.end"))}</button></div>`).join("");
}

function renderHelp(model) {
  $("#help-count").textContent = String(model.help.length);
  $("#help-panel").classList.toggle("asking", model.help.length > 0);
  const answer = (h, grant, label, primary) => `<button type="button"${primary ? ' class="primary"' : ""} data-op="answer-help" data-id="${esc(h.id)}" data-device="${esc(h.device)}"${grant === null ? "" : ` data-grant="${grant}"`}>${esc(t(label))}</button>`;
  $("#help").innerHTML = model.help.length ? model.help.map((h) => {
    const care = h.kind === "care" && h.ticket;
    const what = care ? t("help.care", { d: h.device, n: h.ticket.number }) : t("help.from", { d: h.device });
    const buttons = care ? answer(h, true, "help.grant", true) + answer(h, false, "help.decline", false)
      : answer(h, null, "help.answer", true);
    return `<div class="row" data-help="${esc(h.id)}"${care ? ` data-number="${esc(h.ticket.number)}"` : ""}>
      <span>${esc(what)}</span><span class="ago">${esc(clock(h.at))}</span>
      <span class="spacer"></span>${buttons}</div>`;
  }).join("") : `<p class="muted">${esc(t("help.none"))}</p>`;
}

function adviceCounter(a) {
  return lang() === "en" ? a.counter_name_en || a.counter_name : a.counter_name;
}

function renderStaffing() {
  const model = lobby.staffing(state, t, adviceCounter, clock, dur);
  const banner = $("#staffing-banner");
  banner.hidden = !(model.forecast && model.forecast.alert);
  banner.textContent = model.forecast && model.forecast.alert ? model.forecast.alertText : "";
  $("#staffing-forecast").textContent = model.forecast ? model.forecast.text : t("staff.none");
  $("#staffing-forecast").className = model.forecast && model.forecast.alert ? "bad" : "muted";
  $("#staffing-advice").innerHTML = model.open.length ? model.open.map((a) => `
    <div class="advice" data-advice="${esc(a.id)}">
      <strong>${esc(a.what)}</strong><div class="figure">${esc(a.figure)}</div>
      <div class="muted">${esc(a.given)}</div>
      <div class="ops"><button type="button" class="primary" data-op="advice" data-state="followed" data-id="${esc(a.id)}">${esc(t("staff.followed"))}</button>
      <button type="button" data-op="advice" data-state="dismissed" data-id="${esc(a.id)}">${esc(t("staff.dismissed"))}</button></div>
    </div>`).join("") : (model.forecast ? `<p class="muted">${esc(t("staff.nothing"))}</p>` : "");
  $("#staffing-outcomes").innerHTML = model.outcomes.map((o) => `
    <p class="outcome" data-state="${esc(o.state)}">${esc(o.text)}</p>`).join("");
  $("#staffing-done").innerHTML = model.done.map((a) => `
    <div class="advice done" data-advice="${esc(a.id)}" data-state="${esc(a.state)}">
      <span class="chip">${esc(a.stateText)}</span> <strong>${esc(a.what)}</strong> <span class="muted">${esc(a.given)}</span>
      <div class="figure">${esc(a.figure)}</div>${a.outcome ? `<div class="muted outcome">${esc(a.outcome)}</div>` : ""}
    </div>`).join("");
}

// The engine makes a day's plan in the background (seconds of simulation): ask until it is ready.
async function loadPlan() {
  const box = $("#plan-body");
  box.textContent = t("staff.plan.making");
  let plan = await run(() => api.get("/staffing/plan"));
  while (plan && plan.state === "planning" && $("#staffing-plan").open) {
    await new Promise((resolve) => setTimeout(resolve, PLAN_POLL_MS));
    plan = await run(() => api.get("/staffing/plan"));
  }
  if (!plan || plan.state !== "ready") { box.textContent = ""; return; }
  const pct = (v) => `${Math.round(v * 100)}%`;
  box.innerHTML = plan.hours.length ? `<p class="muted">${esc(t("staff.plan.head", { d: plan.date, k: t(`day.${plan.day_type}`), h: plan.counter_hours, a: plan.appointments ?? 0 }))}</p>
    <ol class="plan">${plan.hours.map((h) => `<li data-start="${esc(h.start)}">${esc(t("staff.plan.hour", {
      from: branchClock(h.start), to: branchClock(h.end), n: h.counters.length, c: h.counters.join(" "), p: pct(h.over_share),
      m: Math.round((h.mean_wait_s ?? 0) / 60), l: Math.round((h.longest_wait_s ?? 0) / 60),
    }))}</li>`).join("")}</ol>` : `<p class="muted">${esc(t("staff.plan.none"))}</p>`;
}

function renderHall() {
  // Keep a half-made choice (an open select) from being wiped by a live update.
  const active = document.activeElement;
  if (active && active.tagName === "SELECT" && $("#tab-hall").contains(active)) return;
  const model = lobby.hall(state, now(), branch);
  renderCounters(model);
  renderQueues(model);
  renderSkipped(model);
  renderHelp(model);
  renderHeld(model);
  renderAnnouncements(model);
  renderStaffing();
}

// A device detail's key or value in words when the console knows it, else as reported.
function word(kind, key) {
  const text = t(`${kind}.${key}`);
  return text === `${kind}.${key}` ? key : text;
}

function renderDevices() {
  const rows = lobby.devices(state, now());
  $("#devices tbody").innerHTML = rows.map((d) => `
    <tr data-device="${esc(d.name)}"><td>${esc(d.name)}</td><td>${esc(t(`role.${d.role}`))}</td>
      <td class="health ${esc(d.health)}">${esc(t(`health.${d.health}`))}</td>
      <td>${esc(d.connected ? t("yes") : t("no"))}</td>
      <td>${d.reportedAgoS === null ? "–" : esc(t("ago", { d: dur(d.reportedAgoS) }))}</td>
      <td>${d.lastSeq === null ? "–" : `#${esc(d.lastSeq)}`}</td>
      <td class="detail">${d.notes.map((n) => `<span class="note">${esc(word("detail", n.key))}: ${esc(word("value", n.value))}</span>`).join("<br>")}</td></tr>`).join("")
    || `<tr><td colspan="7" class="muted">–</td></tr>`;
  const attention = rows.filter((d) => d.health !== "ok").length;
  $("#devices-summary").textContent = attention ? t("dev.attention", { n: attention }) : t("dev.allok");
  $("#devices-summary").className = attention ? "message warn" : "message ok";
}

function renderFigures() {
  if (!stats) return;
  const s = fig.summary(stats);
  const pct = (v) => (v === null ? "–" : `${Math.round(v * 100)}%`);
  const cards = [
    ["fig.issued", s.issued ?? "–"], ["fig.served", s.served ?? "–"], ["fig.waiting", s.waiting ?? "–"],
    ["fig.noshow", s.skipped ?? "–"], ["fig.cancelled", s.cancelled ?? "–"],
    ["fig.mean", dur(s.mean)], ["fig.p90", dur(s.p90)], ["fig.over", pct(s.overShare), s.overShare !== null && s.overShare > 0.2],
    ["fig.vip", s.vip ?? "–"], ["fig.green", s.green === null ? "–" : `${s.greenServed ?? "–"} / ${s.green}`],
    ["fig.care", s.care ?? "–"],
    ["fig.appointments", s.apptBooked === null ? "–" : `${s.apptArrived ?? "–"} / ${s.apptBooked}`],
    ["fig.appointment_wait", dur(s.apptWait)],
    ["fig.rating", s.ratingMean === null ? "–" : `${s.ratingMean.toFixed(2)} (${s.ratingCount})`],
  ];
  $("#cards").innerHTML = cards.map(([k, v, bad]) => `<div class="card${bad ? " bad" : ""}" data-figure="${k}"><div class="muted">${esc(t(k))}</div><div class="v">${esc(v)}</div></div>`).join("");
  const hourly = fig.hourly(stats).map((r) => ({ label: r.label, value: r.mean === null ? 0 : Math.round(r.mean) }));
  $("#chart-hourly").innerHTML = barChart(hourly, { line: s.threshold, lineLabel: t("fig.line"), format: (v) => dur(v), title: t("fig.hourly") });
  $("#chart-counters").innerHTML = barChart(fig.servedBy(stats, "by_counter"), { title: t("fig.counters"), color: "#1f7a3a" });
  $("#chart-tellers").innerHTML = barChart(fig.servedBy(stats, "by_teller"), { title: t("fig.tellers"), color: "#6b4fbb" });
  $("#chart-ratings").innerHTML = barChart(fig.ratingDistribution(stats), { title: t("fig.ratings"), color: "#a86400" });
}

function render() {
  if (!api) return;
  if (tab === "hall") renderHall();
  if (tab === "devices") renderDevices();
  if (tab === "figures") renderFigures();
  if (tab === "appointments") appointments.render();
}

async function loadQueue() {
  const queue = await api.get("/queue");
  state = lobby.setQueue(state, queue);
  render();
}

function scheduleQueue() {
  if (queueTimer) return;
  queueTimer = setTimeout(async () => {
    queueTimer = null;
    try { await loadQueue(); } catch (_) { state = { ...state, queueDirty: true }; }
  }, 80);
}

async function loadSkipped() {
  // Today's skipped tickets, so a console opened after a skip still lists them; the events keep
  // the list live after that. The day's CSV is the engine's only listing of the day's tickets.
  const response = await api.raw("GET", "/stats/daily.csv");
  if (response.status === 401) throw new ApiError(401, "unauthorized", "session ended");
  if (response.status >= 400) return;
  state = lobby.setSkipped(state, lobby.skippedFromCsv(await response.text()));
}

async function loadDevices() {
  state = lobby.setDevices(state, await api.get("/devices"));
  render();
}

// The engine's business day is the branch's (its time zone), not this browser's: without a
// chosen date the engine picks today, and the answer's date fills the date field.
function dateQuery() {
  const date = $("#fig-date").value;
  return date ? `?date=${encodeURIComponent(date)}` : "";
}

async function loadFigures() {
  stats = await run(() => api.get(`/stats/daily${dateQuery()}`));
  if (stats && stats.date && !$("#fig-date").value) $("#fig-date").value = stats.date;
  render();
}

async function downloadCsv() {
  const date = $("#fig-date").value || (stats && stats.date) || "today";
  await run(async () => {
    const response = await api.raw("GET", `/stats/daily.csv${dateQuery()}`);
    if (response.status >= 400) throw new ApiError(response.status, "http_error", `HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `branchq-${date}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
}

async function onClick(e) {
  const el = e.target.closest("[data-op]");
  if (!el || el.tagName === "SELECT") return;
  const op = el.dataset.op;
  if (op === "counter") {
    const body = el.dataset.action === "pause" ? { reason: t("reason.lobby") } : {};
    await run(() => api.counter(el.dataset.counter, el.dataset.action, body),
      t("done.counter", { n: el.dataset.counter, a: t(`op.${el.dataset.action}`) }));
  } else if (op === "reassign") {
    const row = el.closest(".row");
    const counter = row.querySelector("[data-role=reassign-counter]").value;
    const body = { position: el.dataset.position };
    if (counter) body.counter = Number(counter);
    await run(() => api.post(`/tickets/${el.dataset.ticket}/reassign`, body),
      t(el.dataset.position === "front" ? "done.front" : "done.back", { n: row.dataset.number }));
  } else if (op === "reprint") {
    const row = el.closest(".row");
    const kiosk = row.querySelector("[data-role=reprint-kiosk]").value;
    await run(() => api.post(`/tickets/${el.dataset.ticket}/reprint`, kiosk ? { kiosk } : {}),
      t("done.reprint", { n: row.dataset.number, k: kiosk || "" }));
  } else if (op === "release") {
    const row = el.closest(".row");
    await run(() => api.post(`/tickets/${el.dataset.ticket}/release`),
      t("done.release", { n: row.dataset.number }));
  } else if (op === "cancel") {
    if (!window.confirm(t("confirm.cancel", { n: el.dataset.number }))) return;
    await run(() => api.post(`/tickets/${el.dataset.ticket}/cancel`), t("done.cancel", { n: el.dataset.number }));
  } else if (op === "answer-help") {
    const grant = el.dataset.grant === undefined ? null : el.dataset.grant === "true";
    const body = grant === null ? undefined : { grant };
    const done = grant === null ? "done.help" : grant ? "done.grant" : "done.decline";
    await run(() => api.post(`/help/${el.dataset.id}/answer`, body), t(done, { d: el.dataset.device }));
  } else if (op === "advice") {
    const advice = await run(() => api.post(`/staffing/advice/${el.dataset.id}`, { state: el.dataset.state }),
      t(`done.staff.${el.dataset.state}`));
    if (advice) { state = lobby.applyEvent(state, { type: "staffing.advice", data: { advice } }); scheduleStaffing(); render(); }
  } else if (op === "end-announcement") {
    await run(() => api.del(`/announcements/${el.dataset.id}`), t("done.ann.end"));
  }
}

async function onChange(e) {
  const el = e.target;
  if (el.dataset.op !== "move" || !el.value) return;
  const li = el.closest("li");
  const service = el.value;
  el.blur();
  await run(() => api.post(`/tickets/${el.dataset.ticket}/move`, { service }),
    t("done.move", { n: li.dataset.number, s: serviceName(service) }));
  render();
}

function fillForms() {
  $("#issue-service").innerHTML = (branch.services || []).map((s) => `<option value="${esc(s.code)}">${esc(s.code)} ${esc(i18n.named(s))}</option>`).join("");
  $("#issue-tier").innerHTML = (branch.tiers || [{ code: "normal", name: "普通客户" }]).map((tr) => `<option value="${esc(tr.code)}">${esc(i18n.named(tr))}</option>`).join("");
  $("#branch-name").textContent = branch.branch ? i18n.named(branch.branch) : "";
}

function showTab(name) {
  tab = name;
  for (const id of TABS) $(`#tab-${id}`).hidden = id !== name;
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === name));
  if (name === "devices") run(loadDevices);
  if (name === "figures") loadFigures();
  if (name === "appointments") run(appointments.load);
  render();
}

// The link to the engine, shown once there is one to show (not on the login form).
function setLink(up) {
  $("#link").hidden = false;
  $("#link").className = `link ${up ? "up" : "down"}`;
  $("#link-text").dataset.i18n = up ? "link.up" : "link.down";
  $("#link-text").textContent = t(up ? "link.up" : "link.down");
}

function relogin() {
  if (stream) stream.stop();
  stream = null;
  api = null;
  session.clear(KEY);
  $("#link").hidden = true;
  for (const id of TABS) $(`#tab-${id}`).hidden = true;
  $("#tabs").hidden = true;
  $("#logout").hidden = true;
  $("#login-main").hidden = false;
  say(t("msg.relogin"), "error");
}

// An advice changed: fetch the day's outcomes again (at most once a second).
let staffingTimer = null;
function scheduleStaffing() {
  if (staffingTimer) return;
  staffingTimer = setTimeout(async () => {
    staffingTimer = null;
    const body = await run(() => api.get("/staffing"));
    if (body) { state = lobby.setStaffing(state, body); render(); }
  }, 1000);
}

async function refreshAll() {
  state = lobby.setCounters(state, await api.get("/counters"));
  await loadSkipped();
  state = lobby.setDevices(state, await api.get("/devices"));  // the kiosks a reprint can go to
  state = lobby.setAnnouncements(state, await api.get("/announcements"));
  state = lobby.setHelp(state, await api.get("/help"));
  state = lobby.setStaffing(state, await api.get("/staffing"));
  await loadQueue();
}

async function begin(saved) {
  api = new Api(saved.token);
  try {
    const me = await api.get("/auth/me");
    if (!["lobby", "admin"].includes(me.role)) throw new ApiError(403, "forbidden", me.role);
    $("#user-name").textContent = me.name || me.login || "";
    branch = await api.get("/branch");
    await refreshAll();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      relogin();
      return say(explain(err, lang()), "error");
    }
    say(explain(err, lang()), "error");
  }
  $("#login-main").hidden = true;
  $("#tabs").hidden = false;
  $("#logout").hidden = false;
  fillForms();
  showTab(tab);
  stream = new EventStream({
    token: saved.token,
    onEvent: (event) => {
      state = lobby.applyEvent(state, event);
      appointments.onEvent(event, tab === "appointments");
      if (state.queueDirty) scheduleQueue();
      if (event.type === "staffing.advice") scheduleStaffing();
      render();
    },
    onState: (up) => { setLink(up); if (up) refreshAll().then(render).catch(() => {}); },
    onDown: async () => {
      try { await api.get("/auth/me"); } catch (err) {
        if (err instanceof ApiError && err.status === 401) relogin();
      }
    },
  }).start();
}

function bind() {
  document.addEventListener("click", onClick);
  appointments.bind({ api: () => api, run, say, tiers: () => branch.tiers || [] });
  document.addEventListener("change", onChange);
  document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("#fig-refresh").addEventListener("click", loadFigures);
  $("#staffing-plan").addEventListener("toggle", () => { if ($("#staffing-plan").open && api) loadPlan(); });
  $("#staffing-look").addEventListener("click", async () => {
    const button = $("#staffing-look");
    button.disabled = true;
    // A look-ahead plays the coming hour many times over: give it longer than a click.
    const slow = new Api(api.token, { timeoutMs: LOOK_TIMEOUT_MS });
    const body = await run(() => slow.post("/staffing/look"), t("done.staff.look"));
    button.disabled = false;
    if (body) { state = lobby.setStaffing(state, body); render(); }
  });
  $("#fig-csv").addEventListener("click", downloadCsv);
  $("#lang").addEventListener("click", () => {
    i18n.setLang(lang() === "en" ? "zh" : "en");
    $("#lang").textContent = lang() === "en" ? "中文" : "EN";
    setLink(stream ? stream.connected : false);
    if (api) fillForms();
    render();
  });
  $("#logout").addEventListener("click", async () => {
    try { await api.post("/auth/logout"); } catch (_) { /* leaving anyway */ }
    session.clear(KEY);
    location.reload();
  });
  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const got = await login($("#login-name").value.trim(), $("#login-pin").value);
      $("#login-pin").value = "";
      await begin(session.save(KEY, { token: got.token, role: got.role }));
    } catch (err) {
      say(explain(err, lang()), "error");
    }
  });
  $("#issue-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { service: $("#issue-service").value, tier: $("#issue-tier").value, green_channel: $("#issue-green").checked };
    const ticket = await run(() => api.post("/tickets", body), (tk) => t("done.issue", { n: tk.number }));
    if (ticket) {
      $("#issued").textContent = ticket.number;
      $("#issue-green").checked = false;
    }
  });
  $("#announce-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("#ann-text").value.trim();
    if (!text) return;
    const body = { text };
    const minutes = Number($("#ann-minutes").value);
    if (minutes > 0) body.until = new Date(Date.now() + minutes * 60000).toISOString();
    const posted = await run(() => api.post("/announcements", body), t("done.ann"));
    if (posted) { $("#ann-text").value = ""; $("#ann-minutes").value = ""; }
  });
}

function main() {
  i18n.setup(STRINGS);
  $("#lang").textContent = lang() === "en" ? "中文" : "EN";
  bind();
  setInterval(() => { if (api && (tab === "hall" || tab === "devices")) render(); }, 1000);
  // "Connected" has no event of its own: look again now and then while the check is open.
  setInterval(() => { if (api && tab === "devices") loadDevices().catch(() => {}); }, 10000);
  const saved = session.load(KEY);
  if (saved) begin(saved);
  else $("#login-name").focus();
}

main();
