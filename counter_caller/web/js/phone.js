// The branch's phone page (/phone): each service's queue and expected wait; taking a number
// before coming (it waits as "remote" until checked in at the branch) and booking an
// appointment, where the branch allows them. Wiring of phone-state (pure) to the DOM and the
// engine. The queue figures are read again each minute while the page is in view.

import { Api } from "./api.js";
import * as held from "./held.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as phone from "./phone-state.js";
import { STRINGS } from "./phone-strings.js";

const $ = (sel) => document.querySelector(sel);
const api = new Api(null);
const REFRESH_MS = 60000;

let branch = null;
let holding = null;  // the open remote ticket this phone holds, if any
let booking = null;  // {code, day, slots, start}
let busy = false;

function say(el, message) {
  el.textContent = message ? t(message[0], message[1]) : "";
  el.hidden = !message;
}

function said(exc) {
  const key = `err.${exc && exc.code}`;
  const text = t(key);
  return text === key ? String(exc && exc.message || exc) : text;
}

function problem(message) {
  $("#error").textContent = message || "";
  $("#error").hidden = !message;
}

function button(label, cls, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function renderServices() {
  const lang = i18n.current();
  const list = $("#services");
  list.replaceChildren();
  for (const row of phone.rows(branch, lang)) {
    const li = document.createElement("li");
    li.dataset.service = row.code;
    const name = document.createElement("div");
    name.className = "name";
    name.textContent = row.name;
    const queue = document.createElement("div");
    queue.className = "queue";
    say(queue, row.queue);
    li.append(name, queue);
    if (row.why) {
      const why = document.createElement("div");
      why.className = "why";
      say(why, row.why);
      li.append(why);
    }
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    if (row.take && !holding) buttons.append(button(t("take"), "action take", () => openTake(row.code)));
    if (row.book) buttons.append(button(t("book"), "action secondary book", () => openBook(row.code)));
    if (buttons.children.length) li.append(buttons);
    list.append(li);
  }
}

function render() {
  const lang = i18n.current();
  document.title = t("title.branch");
  const b = (branch && branch.branch) || {};
  $("#bank").textContent = lang === "en" ? (b.bank_en || b.bank || "") : (b.bank || "");
  $("#branch").textContent = lang === "en" ? (b.name_en || b.name || "") : (b.name || "");
  $("#lang").textContent = t("lang.switch");
  $("#lang").lang = lang === "en" ? "zh-CN" : "en";
  say($("#intro"), phone.intro(branch));
  $("#held").hidden = !holding;
  if (holding) {
    $("#held-link").textContent = t("held.open", { number: holding.number });
    $("#held-link").href = holding.public_url;
  }
  renderServices();
  renderTake();
  renderBook();
}

// ------------------------------------------------------------------ taking a number
let taking = null;

function openTake(code) {
  taking = code;
  booking = null;
  problem("");
  render();
  $("#take").scrollIntoView({ block: "start" });
}

function renderTake() {
  const view = taking ? phone.confirmTake(branch, taking, i18n.current()) : null;
  $("#take").hidden = !view;
  if (!view) return;
  $("#take-title").textContent = t("take.title", { name: view.name });
  say($("#take-what"), view.what);
  $("#take-confirm").disabled = busy;
  $("#take-confirm").textContent = t(busy ? "take.working" : "take.confirm");
}

async function take() {
  if (busy || !taking) return;
  busy = true;
  problem("");
  render();
  try {
    const ticket = await api.post("/phone/tickets", { service: taking, browser: held.browserId() });
    held.keep(ticket.id);
    location.assign(ticket.public_url);
  } catch (exc) {
    problem(said(exc));
  } finally {
    busy = false;
    render();
  }
}

// ------------------------------------------------------------------ booking
function openBook(code) {
  taking = null;
  const days = phone.days(branch);
  booking = { code, day: days.length ? days[0].day : null, slots: null, start: null };
  problem("");
  render();
  $("#book").scrollIntoView({ block: "start" });
  loadSlots();
}

async function loadSlots() {
  if (!booking || !booking.day) return;
  const wanted = { ...booking };
  try {
    const slots = await api.get(`/phone/appointments/slots?service=${encodeURIComponent(wanted.code)}&day=${wanted.day}`);
    if (booking && booking.code === wanted.code && booking.day === wanted.day) booking.slots = slots;
  } catch (exc) {
    problem(said(exc));
  }
  render();
}

function renderBook() {
  $("#book").hidden = !booking;
  if (!booking) return;
  const s = (branch.services || []).find((x) => x.code === booking.code);
  $("#book-title").textContent = t("book.title", { name: phone.named(s, i18n.current()) });
  const days = $("#book-days");
  days.replaceChildren(...phone.days(branch).map((d) => {
    const b = button(t(d.label[0], d.label[1]), "", () => { booking = { ...booking, day: d.day, slots: null, start: null }; render(); loadSlots(); });
    b.setAttribute("aria-pressed", String(d.day === booking.day));
    return b;
  }));
  const windows = phone.windows(booking.slots);
  const list = $("#book-windows");
  list.replaceChildren(...windows.map((w) => {
    const b = button(w.label, "", () => { booking = { ...booking, start: w.start }; render(); });
    const small = document.createElement("small");
    small.textContent = w.enabled ? t("book.free", { n: w.free }) : t("book.full");
    b.append(small);
    b.disabled = !w.enabled;
    b.setAttribute("aria-pressed", String(w.start === booking.start));
    return b;
  }));
  $("#book-none").hidden = !booking.slots || windows.some((w) => w.enabled);
  const chosen = windows.find((w) => w.start === booking.start);
  const confirm = $("#book-confirm");
  confirm.disabled = busy || !chosen;
  confirm.textContent = busy ? t("book.working") : chosen ? t("book.confirm", { label: chosen.label }) : t("book.window");
}

async function book() {
  if (busy || !booking || !booking.start) return;
  busy = true;
  problem("");
  render();
  try {
    const a = await api.post("/phone/appointments", {
      service: booking.code, day: booking.day, start: booking.start, browser: held.browserId(),
    });
    held.keepAppointment(a.id);
    location.assign(a.public_url);
  } catch (exc) {
    problem(said(exc));
    loadSlots();
  } finally {
    busy = false;
    render();
  }
}

// ------------------------------------------------------------------ loading
async function findHolding() {
  for (const id of held.all().tickets) {
    try {
      const ticket = await api.get(`/tickets/${encodeURIComponent(id)}/public`);
      if (!ticket.final) return { ...ticket, public_url: `/t/${id}` };
      held.forget(id);
    } catch (exc) {
      if (exc.status === 404) held.forget(id);
    }
  }
  return null;
}

async function load() {
  try {
    branch = await api.get("/phone/branch");
    holding = await findHolding();
    problem("");
  } catch (exc) {
    problem(said(exc));
  }
  render();
}

function main() {
  i18n.setupForPhone(STRINGS, render);
  $("#take-confirm").addEventListener("click", take);
  $("#book-confirm").addEventListener("click", book);
  for (const back of document.querySelectorAll(".back")) {
    back.addEventListener("click", () => { taking = null; booking = null; problem(""); render(); });
  }
  setInterval(() => { if (document.visibilityState === "visible" && !busy) load(); }, REFRESH_MS);
  render();
  load();
}

main();
