// The pages' HTTP client for /api/v1: bearer token, the engine's error shape, and
// refusals turned into plain words (explain). Like queue_core/client.py, for the browser.

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(status, code, message, retryAfterS = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS; // the engine's retry_after_s (a login lockout's length)
  }
}

export class Api {
  constructor(token, { base = "", fetchImpl = (...a) => fetch(...a), timeoutMs = 8000 } = {}) {
    this.token = token;
    this.base = base;
    this.fetchImpl = fetchImpl;
    this.timeoutMs = timeoutMs;
  }

  async raw(method, path, body, headers = {}) {
    const url = this.base + (path.startsWith(API) ? path : API + path);
    const h = { ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) h["Content-Type"] = "application/json";
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    try {
      return await this.fetchImpl(url, {
        method, headers: h, signal: ctrl.signal,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (exc) {
      throw new ApiError(0, "engine_unavailable", String(exc && exc.message || exc));
    } finally {
      clearTimeout(timer);
    }
  }

  // One request; resolves to the JSON body, or null for 204 / an empty body.
  async request(method, path, body) {
    const response = await this.raw(method, path, body);
    if (response.status >= 400) {
      let code = "http_error";
      let message = `HTTP ${response.status}`;
      let retryAfterS = null;
      try {
        const err = (await response.json()).error;
        code = String(err.code);
        message = String(err.message);
        if (Number.isFinite(err.retry_after_s)) retryAfterS = err.retry_after_s;
      } catch (_) { /* not the engine's error shape */ }
      throw new ApiError(response.status, code, message, retryAfterS);
    }
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  get(path) { return this.request("GET", path); }
  post(path, body = {}) { return this.request("POST", path, body); }
  del(path) { return this.request("DELETE", path); }
  counter(number, action, body = {}) { return this.post(`/counters/${number}/${action}`, body); }
}

// Log in as staff; resolves to {token, role, counter}.
export async function login(loginName, pin, counter) {
  const body = { login: loginName, pin };
  if (counter !== null && counter !== undefined && counter !== "") body.counter = Number(counter);
  return new Api(null).post("/auth/login", body);
}

const ACTION_WORDS = {
  zh: {
    call: "叫号", call_next: "叫号", recall: "重呼", start: "开始办理", skip: "过号", finish: "完成",
    transfer: "转移", cancel: "取消", reassign: "重新排队", move: "改业务", pause: "暂停",
    resume: "恢复", open: "开窗", close: "关窗", rating: "评价", rate: "评价",
  },
  en: {
    call: "call", call_next: "call", recall: "recall", start: "start", skip: "skip",
    finish: "finish", transfer: "transfer", cancel: "cancel", reassign: "reassign",
    move: "move", pause: "pause", resume: "resume", open: "open", close: "close",
    rating: "rate", rate: "rate",
  },
};

const STATUS_WORDS = {
  zh: {
    waiting: "等候中", called: "已叫号", serving: "办理中", finished: "已完成", skipped: "已过号",
    cancelled: "已取消", transferred: "已转移", open: "开放", paused: "暂停", closed: "关闭",
    none: "无当前客户", rated: "已评价",
  },
  en: {
    waiting: "waiting", called: "called", serving: "being served", finished: "finished",
    skipped: "skipped", cancelled: "cancelled", transferred: "transferred", open: "open",
    paused: "paused", closed: "closed", none: "no current customer", rated: "already rated",
  },
};

export function statusWord(status, lang = "zh") {
  return (STATUS_WORDS[lang] || STATUS_WORDS.zh)[status] || status;
}

const FIXED = {
  zh: {
    engine_unavailable: "连接不上叫号服务器，请稍候重试",
    unauthorized: "登录已失效，请重新登录",
    invalid_credentials: "工号或密码错误",
    forbidden: "没有权限执行此操作",
    not_found: "找不到该票号或窗口",
    login_locked: "密码错误次数过多，请稍后再试",
    rate_limited: "操作太频繁，请稍后再试",
    store_unavailable: "服务器数据暂不可用，请稍后再试",
    nobody_waiting: "目前没有等候的客户",
    transfer_same_service: "该客户已在此业务排队",
    transfer_target_missing: "请选择要转往的业务或窗口",
    transfer_target: "请选择要转往的业务或窗口（二选一）",
    bad_credentials: "工号或密码错误",
    counter_busy: "当前客户尚未办结，请先完成、过号或转移",
    counter_closed: "窗口尚未开放，请先开窗（F10）",
    counter_paused: "窗口已暂停，请先恢复（F9）",
    counter_held: "本窗口由另一位柜员使用中：请对方关窗，或接管本窗口",
    counter_required: "柜员登录需要填写窗口号",
    counter_not_found: "没有这个窗口",
    no_current_ticket: "本窗口当前没有客户",
    ticket_not_found: "找不到该票号",
    ticket_not_waiting: "该号码不在等候中（可能已叫过、已过号或不存在）",
    not_served_here: "本窗口不办理该号码的业务",
    not_finished: "该号码尚未办理完成，不能评价",
    already_rated: "该号码已评价过",
    wrong_counter: "该号码不是在本窗口办理的",
    unknown_service: "没有这项业务",
    unknown_counter: "没有这个窗口",
    unknown_tier: "没有这个客户等级",
    announcement_not_found: "该公告已不存在",
    window_full: "这个时段已约满，请选其他时段",
    too_late_to_book: "这个时段快开始了，不能再预约",
    too_early_to_book: "这个时段还不能预约",
    outside_opening_hours: "这个时段不在营业时间内",
    invalid_window: "请选择一个预约时段",
    no_appointments_for_service: "这项业务不接受预约",
    appointment_not_found: "找不到待签到的预约或手机取号",
    too_early: "还没到预约时段，请临近预约时间再签到",
    appointment_missed: "预约时段已过，请为客户代取普通号",
    cannot_check_in_cancelled: "这个预约已取消",
    cannot_check_in_no_show: "这个预约已过时段未到，请为客户代取普通号",
    cannot_cancel_arrived: "客户已签到，不能取消预约（可在大厅取消票号）",
    invalid_check_in_code: "签到码是 8 位数字",
    check_in_code_unknown: "没有待签到的手机取号或预约用这个签到码：请核对 8 位数字",
    check_in_code_used: "这个签到码已签到过，号码已在排队",
    check_in_expired: "这个手机取号已过有效时间：请为客户代取新号",
    check_in_cancelled: "这个号码已退回或取消：请为客户代取新号",
  },
  en: {
    engine_unavailable: "Cannot reach the queue server; please try again shortly",
    unauthorized: "Your session has ended; please log in again",
    invalid_credentials: "Wrong login or PIN",
    forbidden: "You are not allowed to do this",
    not_found: "No such ticket or counter",
    login_locked: "Too many wrong PINs; please wait and try again",
    rate_limited: "Too many requests; please wait a moment",
    store_unavailable: "The server's data store is unavailable; try again shortly",
    nobody_waiting: "Nobody is waiting",
    transfer_same_service: "The customer already waits for that business",
    transfer_target_missing: "Choose a business or counter to transfer to",
    transfer_target: "Choose either a business or a counter to transfer to",
    bad_credentials: "Wrong login or PIN",
    counter_busy: "The current customer is not done: finish, skip or transfer first",
    counter_closed: "The counter is closed: open it first (F10)",
    counter_paused: "The counter is paused: resume first (F9)",
    counter_held: "Another teller holds this counter: ask them to close it, or take it over",
    counter_required: "A teller logs in at a counter: enter its number",
    counter_not_found: "No such counter",
    no_current_ticket: "No customer at this counter now",
    ticket_not_found: "No such ticket",
    ticket_not_waiting: "That number is not waiting (called, skipped or unknown)",
    not_served_here: "This counter does not serve that number's business",
    not_finished: "That ticket is not finished yet: it cannot be rated",
    already_rated: "That ticket was already rated",
    wrong_counter: "That ticket was not served at this counter",
    unknown_service: "No such business",
    unknown_counter: "No such counter",
    unknown_tier: "No such customer tier",
    announcement_not_found: "That announcement no longer exists",
    window_full: "That window is fully booked: choose another",
    too_late_to_book: "That window starts too soon to be booked",
    too_early_to_book: "That window cannot be booked yet",
    outside_opening_hours: "That window is outside opening hours",
    invalid_window: "Choose a booking window",
    no_appointments_for_service: "That business takes no appointments",
    appointment_not_found: "No appointment or phone ticket waits for check-in with that code",
    too_early: "Too early for this appointment: check in nearer its window",
    appointment_missed: "The appointment's window has passed: issue the customer a normal ticket",
    cannot_check_in_cancelled: "That appointment was cancelled",
    cannot_check_in_no_show: "The window passed without the customer: issue a normal ticket",
    cannot_cancel_arrived: "The customer has checked in: cancel the ticket in the hall instead",
    invalid_check_in_code: "A check-in code is 8 digits",
    check_in_code_unknown: "No phone ticket or appointment waits with that code: check its 8 digits",
    check_in_code_used: "That code was checked in already: its number is in the queue",
    check_in_expired: "That phone ticket was not checked in in time: issue the customer a new one",
    check_in_cancelled: "That number was given back or cancelled: issue the customer a new one",
  },
};

// How long to wait, in words: "4 分钟" / "4 min", under a minute in seconds.
function waitWords(seconds, lang) {
  if (seconds < 60) return lang === "en" ? `${seconds} s` : `${seconds} 秒`;
  const minutes = Math.ceil(seconds / 60);
  return lang === "en" ? `${minutes} min` : `${minutes} 分钟`;
}

// A refusal from the engine in plain words for the person at the screen.
export function explain(err, lang = "zh") {
  const code = err && err.code ? err.code : "http_error";
  if (code === "login_locked" && err.retryAfterS) {
    const wait = waitWords(err.retryAfterS, lang);
    return lang === "en"
      ? `Too many wrong PINs: this login is locked; try again in ${wait}`
      : `密码错误次数过多，该工号已锁定，请 ${wait}后再试`;
  }
  const fixed = (FIXED[lang] || FIXED.zh)[code];
  if (fixed) return fixed;
  const m = /^cannot_([a-z_]+?)_(waiting|called|serving|finished|skipped|cancelled|transferred|open|paused|closed|none|rated)$/.exec(code);
  if (m) {
    const action = (ACTION_WORDS[lang] || ACTION_WORDS.zh)[m[1]] || m[1].replace(/_/g, " ");
    const state = statusWord(m[2], lang);
    return lang === "en"
      ? `Cannot ${action}: it is ${state} now`
      : `不能${action}：当前状态为「${state}」`;
  }
  const message = err && err.message ? err.message : code;
  if (err && (err.status === 422 || code === "validation_error" || code === "invalid_input")) {
    return lang === "en" ? `Invalid input: ${message}` : `输入有误：${message}`;
  }
  return lang === "en" ? `Refused: ${message}` : `操作未完成：${message}`;
}
