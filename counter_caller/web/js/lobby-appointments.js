// The lobby console's appointments and phones tab: a day's appointments (tomorrow's first,
// what to prepare), booking a window for a customer, checking in by the code on a phone or the
// one handed at booking, and the numbers taken on phones that are on their way. Wiring of
// appointments-state (pure) to the DOM and the API; lobby.js hands it the session.

import * as appt from "./appointments-state.js";
import { escapeHtml as esc } from "./format.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";

const $ = (sel) => document.querySelector(sel);
let ctx = null;  // {api: () => Api, run(work, done), tiers: () => [...]}
let phone = null;  // GET /phone/branch: today, the services that take appointments
let list = [];
let remote = [];
let slots = null;

const today = () => (phone && phone.today) || "";

export async function load() {
  const api = ctx.api();
  if (!api) return;
  phone = await api.get("/phone/branch");
  if (!$("#appt-day").value) $("#appt-day").value = appt.nextDay(today());
  if (!$("#book-day").value) $("#book-day").value = appt.nextDay(today());
  fillServices();
  await Promise.all([loadList(), loadRemote(), loadSlots()]);
}

async function loadList() {
  const day = $("#appt-day").value || appt.nextDay(today());
  list = await ctx.api().get(`/appointments?day=${encodeURIComponent(day)}`);
  renderList();
}

async function loadRemote() {
  remote = await ctx.api().get("/phone/remote");
  renderRemote();
}

async function loadSlots() {
  const service = $("#book-service").value;
  const day = $("#book-day").value;
  slots = null;
  if (service && day) {
    const q = `service=${encodeURIComponent(service)}&day=${encodeURIComponent(day)}`;
    slots = await ctx.run(() => ctx.api().get(`/appointments/slots?${q}`));
  }
  renderSlots();
}

function fillServices() {
  const offered = (phone && phone.appointments && phone.appointments.services) || [];
  const services = (phone && phone.services) || [];
  const chosen = $("#book-service").value;
  $("#book-service").innerHTML = services.filter((s) => offered.includes(s.code))
    .map((s) => `<option value="${esc(s.code)}"${s.code === chosen ? " selected" : ""}>${esc(s.code)} ${esc(i18n.named(s))}</option>`).join("");
  $("#book-tier").innerHTML = ctx.tiers().map((tr) => `<option value="${esc(tr.code)}">${esc(i18n.named(tr))}</option>`).join("");
}

function renderList() {
  const lang = i18n.current();
  const rows = appt.rows(list, { today: today(), lang, tiers: ctx.tiers() });
  const n = appt.counts(list);
  $("#appt-counts").textContent = t("appt.counts", n);
  $("#appointments tbody").innerHTML = rows.map((r) => `
    <tr data-appointment="${esc(r.id)}" class="status-${esc(r.status)}">
      <td>${esc(r.window)}</td><td>${esc(r.service)} ${esc(r.serviceName)}</td>
      <td>${esc(r.tier)}${r.green ? ` <span class="badge green">${esc(t("green"))}</span>` : ""}</td>
      <td class="code">${esc(r.code)}</td><td>${esc(r.note)}</td>
      <td>${esc(t(`appt.status.${r.status}`))}${r.byPhone ? ` <small class="muted">${esc(t("appt.by_phone"))}</small>` : ""}</td>
      <td class="num">${esc(r.ticket)}</td>
      <td>${r.actions.map((a) => `<button type="button" data-op="appt-${a}" data-id="${esc(r.id)}">${esc(t(`appt.op.${a}`))}</button>`).join(" ")}</td>
    </tr>`).join("") || `<tr><td colspan="8" class="muted">${esc(t("appt.none"))}</td></tr>`;
}

function renderRemote() {
  const rows = appt.onTheWay(remote);
  $("#remote-count").textContent = String(rows.length);
  $("#remote").innerHTML = rows.length ? rows.map((r) => `
    <div class="row" data-ticket="${esc(r.id)}"><span class="num">${esc(r.number)}</span>
      <span class="ago">${esc(t("remote.taken", { at: r.taken }))}</span></div>`).join("")
    : `<p class="muted">${esc(t("remote.none"))}</p>`;
}

function renderSlots() {
  const options = appt.windows(slots);
  $("#book-window").innerHTML = options.map((w) => `<option value="${esc(w.start)}"${w.enabled ? "" : " disabled"}>${esc(w.label)} · ${esc(w.enabled ? t("appt.free", { n: w.free }) : t("appt.full"))}</option>`).join("")
    || `<option value="">${esc(t("appt.no_window"))}</option>`;
  const first = options.find((w) => w.enabled);
  if (first) $("#book-window").value = first.start;
}

export function render() {
  if (!phone) return;
  renderList();
  renderRemote();
}

// A live event: appointments and the phones' numbers change the tab's lists.
export function onEvent(event, visible) {
  if (!visible || !event || !event.type) return;
  if (event.type.startsWith("appointment.")) {
    loadList().catch(() => {});
    loadSlots().catch(() => {});
  } else if (["ticket.taken", "ticket.checked_in", "ticket.cancelled"].includes(event.type)) {
    loadRemote().catch(() => {});
  }
}

async function onClick(e) {
  const el = e.target.closest("[data-op^=appt-]");
  if (!el) return;
  const id = el.dataset.id;
  if (el.dataset.op === "appt-check-in") {
    const done = await ctx.run(() => ctx.api().post(`/appointments/${encodeURIComponent(id)}/check-in`),
      (r) => t("appt.done.check_in", { n: r.ticket.number }));
    if (done) await loadList();
  } else if (el.dataset.op === "appt-cancel") {
    if (!window.confirm(t("appt.confirm.cancel"))) return;
    const done = await ctx.run(() => ctx.api().post(`/appointments/${encodeURIComponent(id)}/cancel`), t("appt.done.cancel"));
    if (done) await Promise.all([loadList(), loadSlots()]);
  }
}

export function bind(context) {
  ctx = context;
  document.addEventListener("click", onClick);
  $("#appt-today").addEventListener("click", () => { $("#appt-day").value = today(); loadList(); });
  $("#appt-tomorrow").addEventListener("click", () => { $("#appt-day").value = appt.nextDay(today()); loadList(); });
  $("#appt-day").addEventListener("change", () => loadList());
  $("#book-service").addEventListener("change", () => loadSlots());
  $("#book-day").addEventListener("change", () => loadSlots());
  $("#book-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const start = $("#book-window").value;
    if (!start) return;
    const body = {
      service: $("#book-service").value, day: $("#book-day").value, start,
      tier: $("#book-tier").value, green_channel: $("#book-green").checked, note: $("#book-note").value.trim(),
    };
    const booked = await ctx.run(() => ctx.api().post("/appointments", body),
      (a) => t("appt.done.book", { code: `${a.code.slice(0, 4)} ${a.code.slice(4)}` }));
    if (!booked) return;
    $("#booked").textContent = `${booked.code.slice(0, 4)} ${booked.code.slice(4)}`;
    $("#book-note").value = "";
    $("#book-green").checked = false;
    if ($("#appt-day").value === booked.day) await loadList();
    await loadSlots();
  });
  $("#code-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const code = appt.typedCode($("#code-input").value);
    if (!code) { ctx.say(t("code.invalid"), "error"); return; }
    const ticket = await ctx.run(() => ctx.api().post("/phone/check-in-code", { code }),
      (tk) => t("code.done", { n: tk.number }));
    if (ticket) {
      $("#code-input").value = "";
      await Promise.all([loadList(), loadRemote()]);
    }
  });
}
