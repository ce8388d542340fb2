// The check-in screen at the door or beside the kiosk (/door): the QR code a customer who took
// a number on their phone scans to check in. The code changes every few minutes (a photo of it
// taken home is stale by the time it is used), so the page fetches the new one when the old
// one's time is up. It needs a device token (kiosk or hall display), kept on this screen.

import { Api, ApiError } from "./api.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";

const KEY = "branchq.door.token";
const $ = (sel) => document.querySelector(sel);

const STRINGS = {
  zh: {
    "door.setup": "签到码屏幕设置", "door.setup.hint": "输入取号机或叫号屏的设备令牌（只需输入一次）",
    "door.token": "设备令牌", "door.save": "保存", "door.title": "手机取号的客户请扫码签到",
    "door.what": "用取号时的手机扫描，签到后开始排队", "door.off": "本网点不提供手机取号",
    "door.bad": "设备令牌无效，请重新输入", "door.away": "暂时连不上排队系统，正在重试…",
    "lang.switch": "English",
  },
  en: {
    "door.setup": "Check-in screen setup", "door.setup.hint": "Enter the kiosk's or hall display's device token (once)",
    "door.token": "Device token", "door.save": "Save", "door.title": "Took a number on your phone? Scan to check in",
    "door.what": "Scan with the phone you took the number on: your place in the queue starts now",
    "door.off": "This branch hands out no numbers to phones", "door.bad": "The device token was refused; please enter it again",
    "door.away": "Cannot reach the queue system; trying again…", "lang.switch": "中文",
  },
};

let api = null;
let timer = null;
let branchName = { name: "", name_en: "" };

function problem(key) {
  $("#error").textContent = key ? t(key) : "";
  $("#error").hidden = !key;
}

function render() {
  const en = i18n.current() === "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("#lang").textContent = t("lang.switch");
  $("#lang").lang = en ? "zh-CN" : "en";
  $("#branch").textContent = en ? (branchName.name_en || branchName.name) : branchName.name;
  $("#qr").alt = t("door.title");
}

async function refresh() {
  clearTimeout(timer);
  let wait = 5000;
  try {
    const door = await api.get("/phone/door");
    if (!door.enabled) {
      $("#show").hidden = true;
      problem("door.off");
      wait = 60000;
    } else {
      const response = await api.raw("GET", "/phone/door.svg");
      if (response.status >= 400) throw new ApiError(response.status, "http_error", "");
      const svg = await response.text();
      $("#qr").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
      $("#qr").dataset.url = door.url;
      $("#show").hidden = false;
      problem(null);
      wait = Math.max(1000, Date.parse(door.until) - Date.now() + 500);
    }
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      try { localStorage.removeItem(KEY); } catch (_) { /* private mode */ }
      setup("door.bad");
      return;
    }
    problem("door.away");
  }
  timer = setTimeout(refresh, Math.min(wait, 60000));
}

async function begin(token) {
  api = new Api(token);
  $("#setup").hidden = true;
  try {
    branchName = (await api.get("/branch")).branch || branchName;
  } catch (_) { /* refresh() says what is wrong */ }
  render();
  refresh();
}

function setup(message) {
  $("#show").hidden = true;
  $("#setup").hidden = false;
  problem(message);
}

function main() {
  i18n.setup(STRINGS);
  render();
  $("#lang").addEventListener("click", () => { i18n.setLang(i18n.current() === "en" ? "zh" : "en"); render(); });
  $("#setup").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("#device-token").value.trim();
    try { localStorage.setItem(KEY, token); } catch (_) { /* private mode */ }
    begin(token);
  });
  let token = null;
  try { token = localStorage.getItem(KEY); } catch (_) { /* private mode */ }
  if (token) begin(token); else setup(null);
}

main();
