// The phone's ticket page (what the ticket's QR code opens): wiring of ticket-state (pure) to
// the DOM and the engine. The ticket's id is the last part of the address; the state comes
// once from GET /tickets/{id}/public, then live from its server-sent events. The browser's
// EventSource reconnects by itself after a drop; if the engine refuses the stream, the page
// tries again later with a growing pause, so a ticket never floods the branch with requests.

import { API, Api } from "./api.js";
import * as held from "./held.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as optIn from "./notify-optin.js";
import { problem, said } from "./notify-optin.js";
import * as ticketState from "./ticket-state.js";
import { STRINGS } from "./ticket-strings.js";

const $ = (sel) => document.querySelector(sel);
const ticketId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");

let ticket = null;
let missing = false;
let linkUp = false;
let updatedAt = null;
let source = null;
let retryMs = 5000;
let retryTimer = null;
let options = null;  // the branch's notification channels (GET /phone/branch → notify)
let cancelArmed = false;
const api = new Api(null);

function say(el, message) {
  el.textContent = message ? t(message[0], message[1]) : "";
  el.hidden = !message;
}

function render() {
  const lang = i18n.current();
  const view = ticketState.screen(ticket, { lang, missing });
  $("#card").className = `card tone-${view.tone}`;
  $("#number").textContent = view.number;
  $("#service").textContent = view.service;
  say($("#headline"), view.headline);
  say($("#detail"), view.detail);
  say($("#advice"), view.advice);
  say($("#note"), view.final ? null : view.note);
  $("#checkin").hidden = !view.code;
  $("#code").textContent = view.code.replace(/(\d{4})(?=\d)/g, "$1 ");
  // The same code as a QR code, for a kiosk with a scanner (it types "BQ" and the digits).
  const qr = view.code ? `${API}/phone/code.svg?code=${encodeURIComponent(view.code)}` : "";
  if ($("#code-qr").getAttribute("src") !== qr) $("#code-qr").setAttribute("src", qr);
  $("#code-qr").hidden = !qr;
  say($("#queue"), view.queue);
  renderNotify();
  const cancel = $("#cancel");
  cancel.hidden = !ticketState.cancellable(ticket);
  cancel.textContent = t(cancelArmed ? "cancel.confirm" : "cancel");
  document.title = t(view.title[0], view.title[1]);
  const b = (ticket && ticket.branch) || {};
  $("#bank").textContent = lang === "en" ? (b.bank_en || b.bank || "") : (b.bank || "");
  $("#branch").textContent = lang === "en" ? (b.name_en || b.name || "") : (b.name || "");
  $("#lang").textContent = t("lang.switch");
  $("#lang").lang = lang === "en" ? "zh-CN" : "en";  // the button names the other language
  let text;
  if (view.final) text = t("link.final");
  else text = t(linkUp ? "link.up" : "link.down");
  if (updatedAt && !missing) {
    const hhmm = `${String(updatedAt.getHours()).padStart(2, "0")}:${String(updatedAt.getMinutes()).padStart(2, "0")}`;
    text += ` · ${t("link.at", { time: hhmm })}`;
  }
  $("#link-text").textContent = text;
  $("#link").className = `link ${view.final ? "final" : linkUp ? "up" : "down"}`;
}

function renderNotify() {
  const panel = ticketState.notifyPanel(ticket, options, { on: held.notified(ticketId), pushSupported: optIn.pushSupported, stopped: optIn.stoppedHere() });
  optIn.show(panel);
  if (panel.show) $("#notify-what").textContent = t("notify.what", { ahead: panel.ahead });
}

async function giveBack() {
  if (!cancelArmed) {
    cancelArmed = true;
    setTimeout(() => { cancelArmed = false; render(); }, 5000);
    render();
    return;
  }
  cancelArmed = false;
  problem($("#cancel-error"), "");
  try {
    apply(await api.post(`/tickets/${encodeURIComponent(ticketId)}/public/cancel`));
  } catch (exc) {
    problem($("#cancel-error"), t("cancel.failed", { message: said(exc) }));
    render();
  }
}

async function loadOptions() {
  if (options || !ticket || ticket.final) return;
  try {
    options = (await api.get("/phone/branch")).notify;
    render();
  } catch (_) { /* no reminders offered; the page works without them */ }
}

function apply(next) {
  const buzz = ticketState.alerts(ticket, next);
  ticket = next;
  missing = false;
  updatedAt = new Date();
  if (buzz && navigator.vibrate) navigator.vibrate([400, 200, 400, 200, 400]);
  if (ticketState.FINAL.has(ticketState.phase(ticket))) {
    stop();
    held.forget(ticketId);
  } else if (ticket.status === "remote") {
    held.keep(ticketId);  // the check-in page (the kiosk's QR code) checks in what this phone holds
  }
  render();
  loadOptions();
}

function stop() {
  if (source) source.close();
  source = null;
  clearTimeout(retryTimer);
}

function later() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(start, retryMs);
  retryMs = Math.min(retryMs * 2, 120000);
}

async function start() {
  stop();
  try {
    const response = await fetch(`${API}/tickets/${encodeURIComponent(ticketId)}/public`, { cache: "no-store" });
    if (response.status === 404) {
      missing = true;
      linkUp = false;
      render();
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    apply(await response.json());
  } catch (_) {
    linkUp = false;
    render();
    later();
    return;
  }
  if (ticketState.FINAL.has(ticketState.phase(ticket))) return;
  follow();
}

function follow() {
  const es = new EventSource(`${API}/tickets/${encodeURIComponent(ticketId)}/public/events`);
  source = es;
  es.addEventListener("open", () => { linkUp = true; retryMs = 5000; render(); });
  es.addEventListener("ticket", (e) => { linkUp = true; apply(JSON.parse(e.data)); });
  es.addEventListener("error", () => {
    if (source !== es) return;
    linkUp = false;
    render();
    // CLOSED: the engine refused the stream (not a drop, which EventSource retries itself).
    if (es.readyState === EventSource.CLOSED) later();
  });
}

function main() {
  i18n.setupForPhone(STRINGS, render);
  optIn.wire({
    id: ticketId,
    path: `/tickets/${encodeURIComponent(ticketId)}/public/notify`,
    pushKey: () => options.push_key,
    render,
  });
  $("#cancel").addEventListener("click", giveBack);
  // A phone that slept may have lost the stream without noticing: follow again on wake.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || missing) return;
    if (ticket && ticketState.FINAL.has(ticketState.phase(ticket))) return;
    if (!source || source.readyState === EventSource.CLOSED) start();
  });
  render();
  start();
}

main();
