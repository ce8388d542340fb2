// The console's wiring: login, the API, polling, the DOM. What is shown comes from
// console-state.js; this file only fetches, renders and reacts.
import { boardModel, dayModel, freshness, rankingModel, t } from "/ui/central/console-state.js";

const API = "/api/central/v1";
const BOARD_EVERY_MS = 5000;
const $ = (id) => document.getElementById(id);
const state = {
  lang: localStorage.getItem("bq-central-lang") || "zh",
  token: sessionStorage.getItem("bq-central-token"),
  user: JSON.parse(sessionStorage.getItem("bq-central-user") || "null"),
  tab: "board", board: null, sort: null, descending: false, day: null, timer: null,
};

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, { method = "GET", body = null, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (body) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, { method, headers, body: body ? JSON.stringify(body) : null });
  } catch {
    throw new ApiError(0, "network", t(state.lang, "err.network"));
  }
  if (!response.ok) {
    let error = { code: `http_${response.status}`, message: response.statusText };
    try { error = (await response.json()).error || error; } catch { /* not JSON */ }
    throw new ApiError(response.status, error.code, error.message);
  }
  return raw ? response : response.json();
}

function say(text, kind = "error") {
  const box = $("message");
  box.textContent = text || "";
  box.className = `message ${text ? kind : ""}`;
}

function failed(error) {
  if (error.status === 401 && state.token) {
    logout(false);
    say(t(state.lang, "err.session"));
  } else {
    say(error.message);
  }
}

function translate() {
  document.documentElement.lang = state.lang === "en" ? "en" : "zh-CN";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(state.lang, el.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(state.lang, el.dataset.i18nPlaceholder);
  });
  $("lang").textContent = state.lang === "en" ? "中文" : "EN";
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function fillTable(table, model, onRow) {
  const head = table.querySelector("thead");
  const body = table.querySelector("tbody");
  head.replaceChildren();
  const tr = document.createElement("tr");
  model.head.forEach((h) => { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
  head.appendChild(tr);
  body.replaceChildren(...model.rows.map((r) => {
    const row = document.createElement("tr");
    (r.cells || r).forEach((c) => cell(row, String(c)));
    if (onRow) { row.classList.add("link-row"); row.addEventListener("click", () => onRow(r)); }
    return row;
  }));
}

function renderBoard() {
  if (!state.board) return;
  const model = boardModel(state.board, {
    filter: $("filter").value, problemsOnly: $("problems").checked,
    sort: state.sort, descending: state.descending, lang: state.lang,
  });
  const totals = [["totals.branches", model.totals.branches], ["totals.up", model.totals.up],
    ["totals.down", model.totals.down], ["totals.waiting", model.totals.waiting],
    ["totals.problems", model.totals.problems]];
  $("totals").replaceChildren(...totals.map(([k, v]) => {
    const div = document.createElement("div");
    div.className = `total ${k === "totals.down" && v ? "bad" : ""}`;
    div.innerHTML = "<b></b><span></span>";
    div.querySelector("b").textContent = v;
    div.querySelector("span").textContent = t(state.lang, k);
    return div;
  }));
  $("board").querySelector("tbody").replaceChildren(...model.rows.map((r) => {
    const row = document.createElement("tr");
    row.dataset.code = r.code;
    row.className = `link-row ${r.problems.length ? "problem" : ""}`;
    row.title = r.problems.join("，");
    const name = cell(row, "");
    name.innerHTML = "<b></b> <span class=\"muted\"></span>";
    name.querySelector("b").textContent = r.name;
    name.querySelector("span").textContent = r.code;
    cell(row, r.region);
    cell(row, r.linkText, `link-${r.link}`);
    cell(row, String(r.waiting), "num");
    cell(row, r.longest, `num ${r.longWait ? "bad" : ""}`);
    cell(row, r.over, "num");
    cell(row, String(r.served), "num");
    cell(row, r.counters, "num");
    cell(row, r.faults, r.hasFaults ? "bad" : "");
    cell(row, r.clock, r.clockOff ? "bad" : "");
    row.addEventListener("click", () => openDay(r.code));
    return row;
  }));
  const fresh = freshness(state.board.at, Date.now() / 1000, state.lang);
  $("fresh").textContent = fresh.text;
  $("fresh").classList.toggle("stale", fresh.stale);
  const to = $("marquee-to");
  const keep = to.value;
  to.replaceChildren(to.options[0], ...model.rows.map((r) => new Option(`${r.name} (${r.code})`, r.code)));
  to.value = keep || "all";
}

async function loadBoard() {
  try {
    state.board = await api("/branches");
    renderBoard();
    if ($("message").classList.contains("error")) say("");
  } catch (error) { failed(error); }
}

async function loadRanking() {
  const date = $("rank-date").value;
  const query = `?by=${$("rank-by").value}${date ? `&date=${date}` : ""}`;
  try {
    const answer = await api(`/ranking${query}`);
    const model = rankingModel(answer, state.lang);
    fillTable($("rank-branches"), model.branches, (r) => openDay(r.code));
    fillTable($("rank-tellers"), model.tellers, (r) => openDay(r.code));
  } catch (error) { failed(error); }
}

async function openDay(code) {
  state.day = code;
  show("day");
  await loadDay();
}

async function loadDay() {
  const date = $("day-date").value;
  try {
    const answer = await api(`/branches/${encodeURIComponent(state.day)}/day${date ? `?date=${date}` : ""}`);
    const model = dayModel(answer, state.lang);
    $("day-title").textContent = model.title;
    $("day-cards").replaceChildren(...model.cards.map((c) => {
      const div = document.createElement("div");
      div.className = "card";
      div.dataset.card = c.key;
      div.innerHTML = "<span></span><b></b>";
      div.querySelector("span").textContent = c.label;
      div.querySelector("b").textContent = c.value;
      return div;
    }));
    fillTable($("day-services"), model.services);
    fillTable($("day-counters"), model.counters);
    fillTable($("day-tellers"), model.tellers);
    $("day-hours").replaceChildren(...model.hours.map((h) => {
      const div = document.createElement("div");
      div.className = "bar-row";
      div.innerHTML = "<span></span><i></i><b></b>";
      div.querySelector("span").textContent = `${h.hour}:00`;
      div.querySelector("i").style.width = `${h.width}%`;
      div.querySelector("b").textContent = h.issued;
      return div;
    }));
    $("day-devices").replaceChildren(...model.devices.map((d) => {
      const li = document.createElement("li");
      li.className = d.status === "ok" ? "" : "bad";
      li.textContent = `${d.name}: ${d.status}${d.detail ? ` (${d.detail})` : ""}`;
      return li;
    }));
  } catch (error) { failed(error); }
}

async function download(path, fallbackName) {
  try {
    const response = await api(path, { raw: true });
    const blob = await response.blob();
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name ? name[1] : fallbackName;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  } catch (error) { failed(error); }
}

function show(tab) {
  state.tab = tab;
  ["board", "ranking", "day", "marquee"].forEach((name) => { $(`tab-${name}`).hidden = name !== tab; });
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("on", b.dataset.tab === tab));
  if (tab === "ranking") loadRanking();
}

function tick() {
  if (!state.token) return;
  if (state.tab === "board" || state.tab === "marquee") loadBoard();
  else if (state.tab === "day") loadDay();
}

function loggedIn() {
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("logout").hidden = false;
  $("tab-marquee-button").hidden = state.user.role !== "admin";
  $("user-name").textContent = state.user.name;
  show("board");
  loadBoard();
  clearInterval(state.timer);
  state.timer = setInterval(tick, BOARD_EVERY_MS);
}

async function logout(tell = true) {
  if (tell && state.token) { try { await api("/logout", { method: "POST" }); } catch { /* gone anyway */ } }
  state.token = null;
  state.user = null;
  sessionStorage.removeItem("bq-central-token");
  sessionStorage.removeItem("bq-central-user");
  clearInterval(state.timer);
  ["board", "ranking", "day", "marquee"].forEach((name) => { $(`tab-${name}`).hidden = true; });
  $("tabs").hidden = true;
  $("logout").hidden = true;
  $("user-name").textContent = "";
  $("login").hidden = false;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("/login", { method: "POST",
      body: { login: $("login-name").value, password: $("login-password").value } });
    state.token = answer.token;
    state.user = answer;
    sessionStorage.setItem("bq-central-token", answer.token);
    sessionStorage.setItem("bq-central-user", JSON.stringify(answer));
    $("login-password").value = "";
    say("");
    loggedIn();
  } catch (error) {
    say(error.code === "bad_credentials" ? t(state.lang, "err.login") : error.message);
  }
});
$("logout").addEventListener("click", () => logout());
$("lang").addEventListener("click", () => {
  state.lang = state.lang === "en" ? "zh" : "en";
  localStorage.setItem("bq-central-lang", state.lang);
  translate();
  renderBoard();
  if (state.tab === "ranking") loadRanking();
  if (state.tab === "day") loadDay();
});
document.querySelectorAll("#tabs button").forEach((b) => b.addEventListener("click", () => show(b.dataset.tab)));
$("filter").addEventListener("input", renderBoard);
$("problems").addEventListener("change", renderBoard);
document.querySelectorAll("#board th[data-sort]").forEach((th) => th.addEventListener("click", () => {
  state.descending = state.sort === th.dataset.sort ? !state.descending : false;
  state.sort = th.dataset.sort;
  renderBoard();
}));
$("board-csv").addEventListener("click", () => download("/ranking.csv?by=wait", "branches.csv"));
$("rank-by").addEventListener("change", loadRanking);
$("rank-date").addEventListener("change", loadRanking);
$("rank-csv").addEventListener("click", () => {
  const date = $("rank-date").value;
  download(`/ranking.csv?by=${$("rank-by").value}${date ? `&date=${date}` : ""}`, "ranking.csv");
});
$("day-back").addEventListener("click", () => { show("board"); loadBoard(); });
$("day-date").addEventListener("change", loadDay);
$("day-tickets-csv").addEventListener("click", () => {
  const date = $("day-date").value;
  download(`/branches/${encodeURIComponent(state.day)}/tickets.csv${date ? `?date=${date}` : ""}`, "tickets.csv");
});
$("day-figures-csv").addEventListener("click", () => {
  const date = $("day-date").value;
  download(`/branches/${encodeURIComponent(state.day)}/figures.csv${date ? `?date=${date}` : ""}`, "figures.csv");
});
$("marquee-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const to = $("marquee-to").value;
  const branches = to === "all" ? boardModel(state.board || {}).rows.map((r) => r.code) : [to];
  const hours = $("marquee-hours").value;
  try {
    const answer = await api("/marquee", { method: "POST", body: {
      branches, text: $("marquee-text").value, hours: hours ? Number(hours) : null } });
    say(t(state.lang, "sent", { n: answer.sent.length }), "ok");
    $("marquee-text").value = "";
  } catch (error) { failed(error); }
});

translate();
if (state.token && state.user) loggedIn();
