// The teller's caller page: wiring of caller-state (pure) to the DOM, the API and the events.

import { Api, ApiError, explain, login, statusWord } from "./api.js";
import { EventStream } from "./events.js";
import { duration } from "./format.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { COUNTER_MOVES, MOVES } from "./rules.js";
import * as caller from "./caller-state.js";
import * as session from "./session.js";

const KEY = "branchq.caller";
const STRINGS = {
  zh: {
    "caller.title": "柜员叫号器", "caller.waiting": "本窗口等候", "caller.people": "人",
    "link.title": "与叫号服务器的连接", "link.up": "在线", "link.down": "连接中断，正在重连…",
    logout: "退出", "login.title": "柜员登录", "login.login": "工号", "login.pin": "密码",
    "login.counter": "窗口号", "login.submit": "登录",
    "act.call_next": "叫下一位", "act.call": "指定叫号", "act.recall": "重呼", "act.start": "开始办理",
    "act.rating_request": "请评价", "msg.rating": "已请 {n} 评价",
    "act.skip": "过号", "act.finish": "完成", "act.transfer": "转移", "act.pause": "暂停",
    "act.resume": "恢复", "act.open": "开窗", "act.close": "关窗", "act.take_over": "接管本窗口",
    "msg.taken": "已接管本窗口", "held.by": "本窗口由 {t} 使用中",
    "dlg.call": "指定叫号", "dlg.call.placeholder": "输入票号，如 A012", "dlg.transfer": "转移到",
    "dlg.transfer.service": "业务", "dlg.transfer.counter": "窗口", "dlg.pause": "暂停原因",
    "dlg.pause.other": "其他原因（可选）", ok: "确定", cancel: "取消 (Esc)",
    "reason.away": "临时离开", "reason.meal": "用餐", "reason.meeting": "培训/会议",
    "reason.cash": "清点/调拨现金", "reason.fault": "设备故障",
    "ticket.none": "当前无客户", "ticket.waited": "已等候 {w}", "ticket.serving": "已办理 {s}",
    "ticket.calls": "第 {n} 次呼叫", "badge.green": "绿色通道", "badge.transfer": "转入",
    "msg.called": "已叫 {n}，请客户到{c}", "msg.recalled": "已重呼 {n}", "msg.started": "{n} 开始办理",
    "msg.skipped": "{n} 已过号", "msg.finished": "{n} 办理完成", "msg.transferred": "{n} 已转往 {to}",
    "msg.paused": "窗口已暂停", "msg.resumed": "窗口已恢复", "msg.opened": "窗口已开放",
    "msg.closed": "窗口已关闭", "msg.nobody": "目前没有等候的客户", "msg.number_needed": "请输入票号",
    "msg.relogin": "登录已失效，请重新登录", "msg.welcome": "{name}，您好",
  },
  en: {
    "caller.title": "Counter caller", "caller.waiting": "Waiting for this counter:", "caller.people": "",
    "link.title": "Link to the queue server", "link.up": "online", "link.down": "link down, reconnecting…",
    logout: "Log out", "login.title": "Teller login", "login.login": "Login", "login.pin": "PIN",
    "login.counter": "Counter", "login.submit": "Log in",
    "act.call_next": "Call next", "act.call": "Call number", "act.recall": "Recall", "act.start": "Start",
    "act.rating_request": "Ask rating", "msg.rating": "{n} asked to rate",
    "act.skip": "Skip", "act.finish": "Finish", "act.transfer": "Transfer", "act.pause": "Pause",
    "act.resume": "Resume", "act.open": "Open", "act.close": "Close",
    "act.take_over": "Take over this counter", "msg.taken": "Counter taken over",
    "held.by": "Held by {t}",
    "dlg.call": "Call a number", "dlg.call.placeholder": "Ticket number, e.g. A012",
    "dlg.transfer": "Transfer to", "dlg.transfer.service": "Business", "dlg.transfer.counter": "Counter",
    "dlg.pause": "Reason for the pause", "dlg.pause.other": "Other reason (optional)", ok: "OK",
    cancel: "Cancel (Esc)", "reason.away": "Away briefly", "reason.meal": "Meal break",
    "reason.meeting": "Training / meeting", "reason.cash": "Cash count", "reason.fault": "Equipment fault",
    "ticket.none": "No customer", "ticket.waited": "waited {w}", "ticket.serving": "serving for {s}",
    "ticket.calls": "call #{n}", "badge.green": "Green channel", "badge.transfer": "transferred",
    "msg.called": "Called {n} to {c}", "msg.recalled": "Recalled {n}", "msg.started": "Serving {n}",
    "msg.skipped": "{n} skipped", "msg.finished": "{n} finished", "msg.transferred": "{n} transferred to {to}",
    "msg.paused": "Counter paused", "msg.resumed": "Counter resumed", "msg.opened": "Counter open",
    "msg.closed": "Counter closed", "msg.nobody": "Nobody is waiting", "msg.number_needed": "Enter a ticket number",
    "msg.relogin": "Your session has ended; please log in again", "msg.welcome": "Hello, {name}",
  },
};
const KEYS = {
  F1: "call_next", F2: "call", F3: "recall", F4: "start", F5: "skip", F6: "finish",
  F7: "transfer", F8: "pause", F9: "resume", F10: "open", F11: "close", F12: "rating_request",
};
const REASONS = ["away", "meal", "meeting", "cash", "fault"];

const $ = (sel) => document.querySelector(sel);
let api = null;
let stream = null;
let me = null;
let branch = { services: [], counters: [] };
let state = caller.initial(0);
let busy = false;
// A key pressed while the previous action is on its way runs right after it (one press, one
// action): tellers type ahead, and a dropped press would be a silent failure.
const pending = [];
// Per action: when the engine's answer arrived and when the page had drawn it (performance.now()).
window.branchqMarks = [];

function lang() { return i18n.current(); }

function say(text, kind = "ok") {
  const el = $("#message");
  el.textContent = text;
  el.className = `message ${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

function render() {
  const m = caller.model(state, Date.now() / 1000, MOVES, COUNTER_MOVES);
  const en = lang() === "en";
  if (m.counter) {
    $("#counter-name").textContent = en ? m.counter.nameEn : m.counter.name;
    const chip = $("#counter-state");
    chip.textContent = statusWord(m.counter.state, lang());
    chip.className = `chip state-${m.counter.state}`;
    const held = m.actions.take_over ? t("held.by", { t: m.counter.teller }) : "";
    $("#paused-reason").textContent = held || (m.counter.state === "paused" && m.counter.reason ? m.counter.reason : "");
  }
  $("#waiting-count").textContent = m.waiting === null ? "–" : String(m.waiting);
  const box = $("#current");
  if (m.ticket) {
    const tk = m.ticket;
    box.className = `current status-${tk.status}`;
    $("#ticket-number").textContent = tk.number;
    $("#ticket-status").textContent = statusWord(tk.status, lang());
    $("#ticket-status").className = `chip status-${tk.status}`;
    $("#ticket-service").textContent = en ? tk.serviceNameEn : tk.serviceName;
    const badges = [];
    if (tk.vip) badges.push(`<span class="badge vip">${escape(tk.tierName)}</span>`);
    if (tk.green) badges.push(`<span class="badge green">${escape(t("badge.green"))}</span>`);
    if (tk.visit > 1) badges.push(`<span class="badge">${escape(t("badge.transfer"))}</span>`);
    $("#ticket-badges").innerHTML = badges.join(" ");
    const parts = [t("ticket.waited", { w: duration(tk.waitedS, lang()) })];
    if (tk.servingS !== null) parts.push(t("ticket.serving", { s: duration(tk.servingS, lang()) }));
    if (tk.callCount > 1) parts.push(t("ticket.calls", { n: tk.callCount }));
    $("#ticket-wait").textContent = parts.join(" · ");
  } else {
    box.className = "current empty";
    $("#ticket-number").textContent = "—";
    $("#ticket-status").textContent = t("ticket.none");
    $("#ticket-status").className = "chip";
    $("#ticket-service").textContent = "";
    $("#ticket-badges").innerHTML = "";
    $("#ticket-wait").textContent = "";
  }
  document.querySelectorAll("#actions button").forEach((b) => {
    b.disabled = busy || !m.actions[b.dataset.action];
  });
  return m;
}

function escape(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The link to the engine, shown once there is one to show (not on the login form).
function setLink(up) {
  $("#link").hidden = false;
  $("#link").className = `link ${up ? "up" : "down"}`;
  $("#link-text").textContent = t(up ? "link.up" : "link.down");
  $("#link-text").dataset.i18n = up ? "link.up" : "link.down";
}

async function act(action, body = {}) {
  const number = state.counter;
  const before = state.info && state.info.current;
  busy = true;
  render();
  const mark = { action, sentAt: performance.now(), responseAt: null, shownAt: null };
  try {
    const result = await api.counter(number, action.replace("_", "-"), body);
    mark.responseAt = performance.now();
    applyResult(action, result, before, body);
  } catch (err) {
    mark.responseAt = performance.now();
    if (err instanceof ApiError && err.status === 401) return relogin();
    say(explain(err, lang()), "error");
  } finally {
    busy = false;
    render();
    requestAnimationFrame(() => { mark.shownAt = performance.now(); window.branchqMarks.push(mark); });
    if (pending.length) trigger(pending.shift());
  }
}

const DONE = {
  call_next: "msg.called", call: "msg.called", recall: "msg.recalled", start: "msg.started",
  skip: "msg.skipped", finish: "msg.finished", transfer: "msg.transferred", pause: "msg.paused",
  resume: "msg.resumed", open: "msg.opened", close: "msg.closed", rating_request: "msg.rating",
  take_over: "msg.taken",
};

// Draw an action's answer at once (the events confirm it a moment later) and say what happened.
function applyResult(action, result, before, body) {
  if (result && Array.isArray(result.services)) {
    state = caller.applyCounter(state, result); // pause, resume, open, close answer the counter
  } else if (result && result.status) {
    // A transfer answers with the new visit: the one at the desk is closed.
    if (action === "transfer" && before) state = caller.applyTicket(state, { ...before, status: "transferred" });
    state = caller.applyTicket(state, result);
  }
  if ((action === "call_next" || action === "call") && result === null) return say(t("msg.nobody"), "warn");
  const info = state.info || {};
  const number = (result && result.number) || (before && before.number) || "";
  const to = body.service ? `${body.service}` : body.counter ? `${body.counter}` : "";
  say(t(DONE[action], { n: number, c: lang() === "en" ? info.name_en || info.name : info.name, to }));
}

function hideDialogs() {
  document.querySelectorAll(".dialog").forEach((d) => { d.hidden = true; });
}

function openDialog(id) {
  hideDialogs();
  const d = $(id);
  d.hidden = false;
  const first = d.querySelector("input, button");
  if (first) first.focus();
}

function trigger(action) {
  if (busy) {
    if (pending.length < 3) pending.push(action);
    return;
  }
  const m = render();
  if (!m.actions[action]) return;
  if (action === "call") return openDialog("#dialog-call");
  if (action === "transfer") return openDialog("#dialog-transfer");
  if (action === "pause") return openDialog("#dialog-pause");
  hideDialogs();
  act(action);
}

function fillDialogs() {
  const services = $("#transfer-services");
  services.innerHTML = "";
  for (const s of branch.services || []) {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.service = s.code;
    b.textContent = `${s.code} ${i18n.named(s)}`;
    b.onclick = () => { hideDialogs(); act("transfer", { service: s.code }); };
    services.append(b);
  }
  const counters = $("#transfer-counters");
  counters.innerHTML = "";
  for (const c of branch.counters || []) {
    if (Number(c.number) === state.counter) continue;
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.counter = c.number;
    b.textContent = i18n.named(c);
    b.onclick = () => { hideDialogs(); act("transfer", { counter: Number(c.number) }); };
    counters.append(b);
  }
  const reasons = $("#pause-reasons");
  reasons.innerHTML = "";
  REASONS.forEach((r, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.reason = r;
    b.textContent = `${i + 1} ${t(`reason.${r}`)}`;
    b.onclick = () => { hideDialogs(); act("pause", { reason: t(`reason.${r}`) }); };
    reasons.append(b);
  });
}

function bindUi() {
  document.querySelectorAll("#actions button").forEach((b) => {
    b.addEventListener("click", () => trigger(b.dataset.action));
  });
  document.addEventListener("keydown", (e) => {
    if (KEYS[e.key]) {
      e.preventDefault();
      if (api) trigger(KEYS[e.key]);
    } else if (e.key === "Escape") {
      hideDialogs();
    } else if (!$("#dialog-pause").hidden && /^[1-9]$/.test(e.key) && document.activeElement !== $("#pause-other")) {
      const b = document.querySelectorAll("#pause-reasons button")[Number(e.key) - 1];
      if (b) { e.preventDefault(); b.click(); }
    }
  });
  document.querySelectorAll(".dialog .cancel").forEach((b) => b.addEventListener("click", hideDialogs));
  $("#dialog-call").addEventListener("submit", (e) => {
    e.preventDefault();
    const number = $("#call-number").value.trim().toUpperCase();
    if (!number) return say(t("msg.number_needed"), "warn");
    hideDialogs();
    $("#call-number").value = "";
    act("call", { number });
  });
  $("#dialog-pause").addEventListener("submit", (e) => {
    e.preventDefault();
    const reason = $("#pause-other").value.trim();
    hideDialogs();
    $("#pause-other").value = "";
    act("pause", reason ? { reason } : {});
  });
  $("#lang").addEventListener("click", () => {
    i18n.setLang(lang() === "en" ? "zh" : "en");
    $("#lang").textContent = lang() === "en" ? "中文" : "EN";
    setLink(stream ? stream.connected : false);
    fillDialogs();
    render();
  });
  $("#logout").addEventListener("click", async () => {
    try { await api.post("/auth/logout"); } catch (_) { /* leaving anyway */ }
    session.clear(KEY);
    location.reload();
  });
  $("#login").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("#login-submit").disabled = true;
    try {
      const counter = Number($("#login-counter").value);
      const got = await login($("#login-name").value.trim(), $("#login-pin").value, counter);
      const saved = session.save(KEY, { token: got.token, counter: got.counter ?? counter, login: $("#login-name").value.trim() });
      localStorage.setItem("branchq.caller.lastCounter", String(saved.counter));
      $("#login-pin").value = "";
      await begin(saved);
    } catch (err) {
      say(explain(err, lang()), "error");
    } finally {
      $("#login-submit").disabled = false;
    }
  });
}

function relogin() {
  if (stream) stream.stop();
  stream = null;
  api = null;
  session.clear(KEY);
  $("#link").hidden = true;
  $("#desk").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  say(t("msg.relogin"), "error");
}

async function refreshCounter() {
  const counters = await api.get("/counters");
  const mine = counters.find((c) => Number(c.number) === state.counter);
  if (mine) state = caller.applyCounter(state, mine);
  render();
}

async function begin(saved) {
  api = new Api(saved.token);
  state = caller.initial(saved.counter);
  try {
    me = await api.get("/auth/me");
    state = { ...state, login: me.role === "teller" ? me.login : null };
    branch = await api.get("/branch");
    await refreshCounter();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return relogin();
    say(explain(err, lang()), "error");
  }
  $("#login").hidden = true;
  $("#desk").hidden = false;
  $("#logout").hidden = false;
  $("#teller-name").textContent = me ? me.name || me.login || "" : "";
  fillDialogs();
  render();
  stream = new EventStream({
    token: saved.token,
    onEvent: (event) => {
      window.branchqEvents = [...(window.branchqEvents || []).slice(-49), { seq: event.seq, type: event.type, number: event.data && event.data.ticket && event.data.ticket.number }];
      state = caller.applyEvent(state, event);
      render();
    },
    onState: (up) => { setLink(up); if (up) refreshCounter().catch(() => {}); },
    onDown: async () => {
      try { await api.get("/auth/me"); } catch (err) {
        if (err instanceof ApiError && err.status === 401) relogin();
      }
    },
  }).start();
  window.branchqStream = stream;
}

function main() {
  i18n.setup(STRINGS);
  $("#lang").textContent = lang() === "en" ? "中文" : "EN";
  bindUi();
  const params = new URLSearchParams(location.search);
  $("#login-counter").value = params.get("counter") || localStorage.getItem("branchq.caller.lastCounter") || "";
  setInterval(() => { if (api) render(); }, 1000);
  const saved = session.load(KEY);
  if (saved && (!params.get("counter") || Number(params.get("counter")) === Number(saved.counter))) {
    begin(saved);
  } else {
    $("#login-name").focus();
  }
}

main();
