// The check-in page (/c/{code}): what the check-in QR code on the kiosk opens. It checks in
// the remote tickets and appointments this phone holds (held.js) with the code the kiosk
// shows now (it changes every few minutes, so a photo of it does not check in from home), then
// opens the ticket's live page.

import { Api } from "./api.js";
import * as held from "./held.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as phone from "./phone-state.js";
import { STRINGS } from "./phone-strings.js";

const $ = (sel) => document.querySelector(sel);
const code = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
const api = new Api(null);
let state = { held: 0, result: null, error: null };

function said(codeName, fallback) {
  const key = `err.${codeName}`;
  const text = t(key);
  return text === key ? fallback : text;
}

function render() {
  const view = phone.checkin(state);
  document.title = t("title.checkin");
  $("#lang").textContent = t("lang.switch");
  $("#lang").lang = i18n.current() === "en" ? "zh-CN" : "en";
  $("#card").className = `card tone-${view.tone}`;
  $("#headline").textContent = t(view.headline[0], view.headline[1]);
  $("#detail").textContent = view.error ? said(view.error, state.message || "") : "";
  $("#advice").textContent = view.advice ? t(view.advice[0], view.advice[1]) : "";
  $("#go").hidden = !view.go;
  if (view.go) $("#go").href = view.go;
}

async function checkIn() {
  const mine = held.all();
  state = { held: mine.tickets.length + mine.appointments.length, result: null, error: null };
  render();
  if (!state.held) return;
  try {
    const result = await api.post("/phone/check-in", { code, tickets: mine.tickets, appointments: mine.appointments });
    for (const a of result.appointments || []) if (a.status !== "booked") held.forgetAppointment(a.id);
    for (const ticket of result.tickets || []) held.forget(ticket.id);
    state = { ...state, result };
    render();
    const view = phone.checkin(state);
    if (view.go) setTimeout(() => location.assign(view.go), 1500);
  } catch (exc) {
    state = { ...state, error: exc.code, message: exc.message };
    render();
  }
}

function main() {
  i18n.setupForPhone(STRINGS, render);
  checkIn();
}

main();
