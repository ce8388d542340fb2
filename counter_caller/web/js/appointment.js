// An appointment on the phone (/a/{id}, where booking leads): its window, the code to check in
// with at the kiosk, the "remind me" panel while its reminder is ahead (notify-optin.js, as on
// the ticket page), and, once checked in, the way to the ticket's live page. The state is
// read again each minute while the page is in view (an appointment changes a few times a day).

import { API, Api } from "./api.js";
import * as held from "./held.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as optIn from "./notify-optin.js";
import { said } from "./notify-optin.js";
import * as phone from "./phone-state.js";
import { STRINGS } from "./phone-strings.js";

const $ = (sel) => document.querySelector(sel);
const id = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const api = new Api(null);
let appt = null;
let armed = false;
let timer = null;
let options = null;  // the branch's reminder channels (GET /phone/branch → notify)

function problem(message) {
  $("#error").textContent = message || "";
  $("#error").hidden = !message;
}

function render() {
  const lang = i18n.current();
  const view = phone.appointment(appt);
  document.title = t("title.appointment");
  const b = (appt && appt.branch) || {};
  $("#bank").textContent = lang === "en" ? (b.bank_en || b.bank || "") : (b.bank || "");
  $("#branch").textContent = lang === "en" ? (b.name_en || b.name || "") : (b.name || "");
  $("#lang").textContent = t("lang.switch");
  $("#lang").lang = lang === "en" ? "zh-CN" : "en";
  $("#card").className = `card tone-${view.tone}`;
  $("#service").textContent = appt ? ((lang === "en" && appt.service_name_en) || appt.service_name || appt.service) : "";
  $("#headline").textContent = t(view.headline[0], view.headline[1]);
  $("#detail").textContent = view.detail ? t(view.detail[0], view.detail[1]) : "";
  $("#advice").textContent = view.advice ? t(view.advice[0], view.advice[1]) : "";
  $("#checkin").hidden = !view.code;
  $("#code").textContent = view.code.replace(/(\d{4})(?=\d)/g, "$1 ");
  // The same code as a QR code, for a kiosk with a scanner (it types "BQ" and the digits).
  const qr = view.code ? `${API}/phone/code.svg?code=${encodeURIComponent(view.code)}` : "";
  if ($("#code-qr").getAttribute("src") !== qr) $("#code-qr").setAttribute("src", qr);
  $("#code-qr").hidden = !qr;
  $("#ticket").hidden = !view.ticket;
  if (view.ticket) $("#ticket").href = view.ticket;
  $("#cancel").hidden = !appt || appt.status !== "booked";
  $("#cancel").textContent = t(armed ? "appt.cancel.confirm" : "appt.cancel");
  renderRemind();
}

function renderRemind() {
  const panel = phone.remindPanel(appt, options, { on: held.notified(id), pushSupported: optIn.pushSupported, stopped: optIn.stoppedHere() });
  optIn.show(panel);
  if (!panel.show) return;
  $("#notify-what").textContent = t("remind.what", { time: panel.at, m: panel.m });
  $("#push-on").textContent = t("remind.push.on", { time: panel.at });
  $("#sms-on").textContent = t("remind.sms.on", { time: panel.at });
}

async function loadOptions() {
  if (options || !appt || !appt.remind_at) return;
  try {
    options = (await api.get("/phone/branch")).notify;
    render();
  } catch (_) { /* no reminders offered; the page works without them */ }
}

async function load() {
  try {
    appt = await api.get(`/appointments/${encodeURIComponent(id)}/public`);
    if (appt.status === "booked") held.keepAppointment(id);
    else held.forgetAppointment(id);
    problem("");
  } catch (exc) {
    problem(said(exc));
  }
  render();
  if (appt && appt.status !== "booked") clearInterval(timer);
  loadOptions();
}

async function cancel() {
  if (!armed) {
    armed = true;
    setTimeout(() => { armed = false; render(); }, 5000);
    render();
    return;
  }
  armed = false;
  try {
    appt = await api.post(`/appointments/${encodeURIComponent(id)}/public/cancel`);
    held.forgetAppointment(id);
    problem("");
  } catch (exc) {
    problem(said(exc));
  }
  render();
}

function main() {
  i18n.setupForPhone(STRINGS, render);
  $("#cancel").addEventListener("click", cancel);
  optIn.wire({ id, path: `/appointments/${encodeURIComponent(id)}/public/notify`, pushKey: () => options.push_key, render });
  timer = setInterval(() => { if (document.visibilityState === "visible") load(); }, 60000);
  render();
  load();
}

main();
