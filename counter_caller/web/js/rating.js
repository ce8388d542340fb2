// The rating tablet page: wiring of rating-state (pure) to the DOM, the API and the events.
// The device token is entered once and kept in localStorage.

import { Api, ApiError, explain } from "./api.js";
import { EventStream } from "./events.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import * as rating from "./rating-state.js";

const KEY = "branchq.rating.token";
const STRINGS = {
  zh: {
    "setup.title": "评价器设置", "setup.hint": "输入本评价器的设备令牌（只需输入一次）", "setup.save": "保存",
    "setup.token": "设备令牌",
    welcome: "欢迎光临", ask: "请您对本次服务进行评价", thanks: "感谢您的评价！", "thanks.more": "欢迎再次光临",
    "ask.ticket": "票号 {n}", "token.bad": "设备令牌无效，请重新输入",
  },
  en: {
    "setup.title": "Rating tablet setup", "setup.hint": "Enter this tablet's device token (once)",
    "setup.token": "Device token",
    "setup.save": "Save", welcome: "Welcome", ask: "How was our service?", thanks: "Thank you!",
    "thanks.more": "We hope to see you again", "ask.ticket": "Ticket {n}",
    "token.bad": "The device token was refused; please enter it again",
  },
};

const $ = (sel) => document.querySelector(sel);
let api = null;
let cfg = rating.settings(null);
let state = rating.initial(0);
let branch = null;
let counter = null;
let sending = false;

const now = () => Date.now() / 1000;

function show(screen) {
  for (const name of ["welcome", "ask", "thanks"]) $(`#screen-${name}`).hidden = name !== screen;
}

function render() {
  const en = i18n.current() === "en";
  if (branch) {
    const b = branch.branch || {};
    $("#bank-name").textContent = en ? `${b.bank_en || b.bank || ""} ${b.name_en || b.name || ""}` : `${b.bank || ""} ${b.name || ""}`;
  }
  if (counter) $("#counter-name").textContent = i18n.named(counter);
  show(state.screen);
  if (state.screen === "ask" && state.ticket) {
    $("#ask-ticket").textContent = t("ask.ticket", { n: state.ticket.number });
  }
  const box = $("#levels");
  if (box.dataset.lang !== i18n.current() || !box.children.length) {
    box.dataset.lang = i18n.current();
    box.innerHTML = "";
    for (const level of cfg.levels) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = level.tone || "";
      b.dataset.rating = String(level.value);
      b.textContent = en ? (level.label_en || level.label) : level.label;
      b.addEventListener("click", () => rate(level.value));
      box.append(b);
    }
  }
  box.querySelectorAll("button").forEach((b) => { b.disabled = sending; });
}

async function rate(value) {
  if (state.screen !== "ask" || !state.ticket || sending) return;
  sending = true;
  render();
  try {
    await api.post(`/tickets/${state.ticket.id}/rating`, { rating: value });
    state = rating.thanked(state, value, now(), cfg);
    $("#message").textContent = "";
  } catch (err) {
    if (err instanceof ApiError && err.code === "already_rated") {
      state = rating.thanked(state, value, now(), cfg);
    } else {
      $("#message").textContent = explain(err, i18n.current());
      $("#message").className = "message error";
    }
  } finally {
    sending = false;
    render();
  }
}

async function begin(token) {
  api = new Api(token);
  let me;
  try {
    me = await api.get("/auth/me");
    branch = await api.get("/branch");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      localStorage.removeItem(KEY);
      return setup(t("token.bad"));
    }
    // The engine is away: try again shortly, the tablet has no one to ask.
    $("#message").textContent = explain(err, i18n.current());
    setTimeout(() => begin(token), 2000);
    return;
  }
  $("#message").textContent = "";
  $("#setup").hidden = true;
  cfg = rating.settings(branch.rating);
  state = rating.initial(me.counter);
  counter = (branch.counters || []).find((c) => Number(c.number) === Number(me.counter)) || { name: `${me.counter}` };
  render();
  new EventStream({
    token,
    onEvent: (event) => { state = rating.applyEvent(state, event, now(), cfg); render(); },
    onState: (up) => { $("#link").className = `link ${up ? "up" : "down"}`; },
  }).start();
}

function setup(message = "") {
  show(null);
  $("#setup").hidden = false;
  $("#message").textContent = message;
  $("#message").className = message ? "message error" : "message";
}

function main() {
  i18n.setup(STRINGS);
  $("#lang").textContent = i18n.current() === "en" ? "中文" : "EN";
  $("#lang").addEventListener("click", () => {
    i18n.setLang(i18n.current() === "en" ? "zh" : "en");
    $("#lang").textContent = i18n.current() === "en" ? "中文" : "EN";
    render();
  });
  $("#setup").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("#device-token").value.trim();
    localStorage.setItem(KEY, token);
    begin(token);
  });
  setInterval(() => {
    const next = rating.tick(state, now());
    if (next !== state) { state = next; render(); }
  }, 500);
  // ?token= is for setting a tablet up from a link once; it does not stay in the address bar.
  const given = new URLSearchParams(location.search).get("token");
  if (given) history.replaceState(null, "", location.pathname);
  const token = given || localStorage.getItem(KEY);
  if (token) {
    localStorage.setItem(KEY, token);
    begin(token);
  } else {
    setup();
  }
}

main();
