// Pure: the console's answers in, what the page shows out. No DOM, no clock (time passed in).

export const STRINGS = {
  zh: {
    title: "总行监控台", "tab.board": "全部网点", "tab.ranking": "排名", "tab.marquee": "滚动公告",
    logout: "退出", "login.title": "总行用户登录", "login.login": "用户名", "login.password": "密码",
    "login.submit": "登录", filter: "按网点名称、代码或区域筛选", problems: "只看异常网点", csv: "导出 CSV",
    "col.branch": "网点", "col.region": "区域", "col.link": "链路", "col.waiting": "等候",
    "col.longest": "最长等候", "col.over": "超3分钟", "col.served": "已办", "col.counters": "窗口 开/停",
    "col.faults": "设备", "col.clock": "时钟", "rank.by": "排名依据", "rank.wait": "平均等候",
    "rank.over": "超3分钟占比", "rank.service": "平均办理时长", "rank.rating": "满意度", "rank.date": "日期",
    "rank.branches": "网点排名", "rank.tellers": "柜员排名", back: "← 返回全部网点",
    "day.tickets_csv": "取号明细 CSV", "day.figures_csv": "统计 CSV", "day.by_service": "按业务",
    "day.by_counter": "按窗口", "day.by_teller": "按柜员", "day.by_hour": "按时段", "day.devices": "设备",
    "marquee.title": "向网点发送滚动公告", "marquee.placeholder": "例如：今日为养老金发放日，请耐心等候",
    "marquee.hours": "显示时长（小时，空为一直）", "marquee.to": "发送到", "marquee.all": "我可见的全部网点",
    "marquee.send": "签名并发送", "link.up": "正常", "link.down": "中断", "link.never": "未连接",
    "lag": "待传 {n} 条", "clock.off": "偏差 {s} 秒", "clock.ok": "准确", "none": "—",
    "faults.none": "正常", "totals.branches": "网点", "totals.up": "链路正常", "totals.down": "链路中断",
    "totals.waiting": "全行等候", "totals.problems": "异常网点", "fresh": "数据时间 {t}",
    "stale": "数据已 {s} 秒未更新", "col.rank": "名次", "col.teller": "柜员", "col.issued": "取号",
    "col.mean_wait": "平均等候", "col.p90_wait": "90%等候", "col.service": "平均办理", "col.rating": "满意度",
    "col.key": "项目", "col.called": "已叫", "col.skipped": "过号", "col.paused": "暂停",
    "card.issued": "取号", "card.served": "办结", "card.waiting": "仍在厅内", "card.mean_wait": "平均等候",
    "card.over": "超3分钟占比", "card.service": "平均办理", "card.rating": "满意度", "card.vip": "贵宾取号",
    "card.appointments": "预约 已到 / 预约", "card.appointments_no_show": "预约未到",
    "card.appointments_cancelled": "预约取消", "card.appointments_wait": "预约客户平均等候",
    "err.login": "用户名或密码不对，请重新输入", "err.network": "连不上总行服务器，正在重试…",
    "err.session": "登录已过期，请重新登录", "sent": "已发送到 {n} 个网点",
    "problem.link": "链路中断", "problem.clock": "时钟偏差", "problem.faults": "设备故障",
    "problem.wait": "等候过长",
  },
  en: {
    title: "Head-office console", "tab.board": "All branches", "tab.ranking": "Ranking",
    "tab.marquee": "Marquee", logout: "Log out", "login.title": "Head-office login",
    "login.login": "User", "login.password": "Password", "login.submit": "Log in",
    filter: "Filter by branch name, code or region", problems: "Only branches with problems",
    csv: "Export CSV", "col.branch": "Branch", "col.region": "Region", "col.link": "Link",
    "col.waiting": "Waiting", "col.longest": "Longest wait", "col.over": "Over 3 min",
    "col.served": "Served", "col.counters": "Counters open/paused", "col.faults": "Devices",
    "col.clock": "Clock", "rank.by": "Rank by", "rank.wait": "Mean wait", "rank.over": "Share over 3 min",
    "rank.service": "Mean service time", "rank.rating": "Rating", "rank.date": "Date",
    "rank.branches": "Branches", "rank.tellers": "Tellers", back: "← All branches",
    "day.tickets_csv": "Tickets CSV", "day.figures_csv": "Figures CSV", "day.by_service": "By service",
    "day.by_counter": "By counter", "day.by_teller": "By teller", "day.by_hour": "By hour",
    "day.devices": "Devices", "marquee.title": "Send a marquee text to branches",
    "marquee.placeholder": "e.g. Pension day today: thank you for your patience",
    "marquee.hours": "Show for (hours, empty: until ended)", "marquee.to": "To",
    "marquee.all": "All branches I can see", "marquee.send": "Sign and send", "link.up": "Up",
    "link.down": "Cut off", "link.never": "Never connected", "lag": "{n} to send",
    "clock.off": "{s} s off", "clock.ok": "OK", none: "—", "faults.none": "OK",
    "totals.branches": "Branches", "totals.up": "Links up", "totals.down": "Links down",
    "totals.waiting": "Waiting bank-wide", "totals.problems": "With problems", "fresh": "Data of {t}",
    "stale": "No update for {s} s", "col.rank": "Rank", "col.teller": "Teller", "col.issued": "Issued",
    "col.mean_wait": "Mean wait", "col.p90_wait": "p90 wait", "col.service": "Mean service",
    "col.rating": "Rating", "col.key": "Key", "col.called": "Called", "col.skipped": "Skipped",
    "col.paused": "Paused", "card.issued": "Issued", "card.served": "Served", "card.waiting": "Still in hall",
    "card.mean_wait": "Mean wait", "card.over": "Share over 3 min", "card.service": "Mean service",
    "card.rating": "Rating", "card.vip": "VIP tickets",
    "card.appointments": "Appointments arrived / booked", "card.appointments_no_show": "Appointment no-shows",
    "card.appointments_cancelled": "Appointments cancelled", "card.appointments_wait": "Appointments' mean wait", "err.login": "Wrong user or password: try again",
    "err.network": "The head-office server does not answer; retrying…",
    "err.session": "The session has ended: log in again", "sent": "Sent to {n} branches",
    "problem.link": "link cut", "problem.clock": "clock off", "problem.faults": "device fault",
    "problem.wait": "long wait",
  },
};

export function t(lang, key, values = {}) {
  const text = (STRINGS[lang] || STRINGS.zh)[key] ?? STRINGS.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
}

/** Seconds as "4分12秒" / "4 min 12 s"; null as a dash. */
export function duration(seconds, lang) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const rest = s % 60;
  if (lang === "en") return m ? `${m} min ${rest} s` : `${rest} s`;
  return m ? `${m}分${rest}秒` : `${rest}秒`;
}

export function share(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

export function rating(value) {
  return value === null || value === undefined ? "—" : value.toFixed(2);
}

/** A wait this long in the hall is a problem a head office wants to see (15 minutes). */
export const LONG_WAIT_S = 900;

/** Why a branch needs a look, in the order the console shows them. */
export function problems(line) {
  const out = [];
  if (line.link !== "up") out.push("problem.link");
  if (line.clock_ok === false) out.push("problem.clock");
  if ((line.device_faults || []).length) out.push("problem.faults");
  if ((line.longest_wait_s ?? 0) > LONG_WAIT_S) out.push("problem.wait");
  return out;
}

function matches(line, filter) {
  if (!filter) return true;
  const needle = filter.trim().toLowerCase();
  return [line.code, line.name, line.name_en, line.region].some(
    (v) => String(v || "").toLowerCase().includes(needle));
}

function compare(a, b, key) {
  const x = a[key];
  const y = b[key];
  if (x === y) return a.code < b.code ? -1 : 1;
  if (x === null || x === undefined) return 1;
  if (y === null || y === undefined) return -1;
  if (typeof x === "string") return x.localeCompare(y, "zh-CN");
  return x < y ? -1 : 1;
}

/**
 * The board: totals over every branch the user sees, and the rows filtered and sorted.
 * Branches with problems come first unless another sort is asked for.
 */
export function boardModel(answer, { filter = "", problemsOnly = false, sort = null,
                                     descending = false, lang = "zh" } = {}) {
  const lines = answer.branches || [];
  const regions = answer.regions || {};
  const rows = lines.map((line) => ({ ...line, problems: problems(line) }));
  const totals = {
    branches: rows.length,
    up: rows.filter((r) => r.link === "up").length,
    down: rows.filter((r) => r.link !== "up").length,
    waiting: rows.reduce((n, r) => n + (r.waiting || 0), 0),
    problems: rows.filter((r) => r.problems.length).length,
  };
  let shown = rows.filter((r) => matches(r, filter) && (!problemsOnly || r.problems.length));
  if (sort) {
    shown = shown.sort((a, b) => compare(a, b, sort) * (descending ? -1 : 1));
  } else {
    shown = shown.sort((a, b) => (b.problems.length - a.problems.length) || compare(a, b, "code"));
  }
  return {
    totals,
    rows: shown.map((r) => ({
      code: r.code,
      name: lang === "en" && r.name_en ? r.name_en : r.name,
      region: regions[r.region] ? (lang === "en" && regions[r.region].name_en
        ? regions[r.region].name_en : regions[r.region].name) : (r.region || "—"),
      link: r.link,
      linkText: t(lang, `link.${r.link}`) + (r.lag > 0 ? ` · ${t(lang, "lag", { n: r.lag })}` : ""),
      waiting: r.waiting ?? 0,
      longest: duration(r.longest_wait_s, lang),
      longWait: (r.longest_wait_s ?? 0) > LONG_WAIT_S,
      over: share(r.over_threshold_share),
      served: r.served ?? 0,
      counters: `${r.counters_open ?? 0} / ${r.counters_paused ?? 0}`,
      faults: (r.device_faults || []).length ? r.device_faults.join("、") : t(lang, "faults.none"),
      hasFaults: (r.device_faults || []).length > 0,
      clock: r.clock_offset_s === null || r.clock_offset_s === undefined ? "—"
        : (r.clock_ok ? t(lang, "clock.ok") : t(lang, "clock.off", { s: Math.round(r.clock_offset_s) })),
      clockOff: r.clock_ok === false,
      problems: r.problems.map((p) => t(lang, p)),
    })),
  };
}

/** How fresh the board is: the server's refresh time against now (both epoch seconds). */
export function freshness(at, now, lang) {
  if (at === null || at === undefined) return { text: "", stale: true };
  const age = Math.max(0, now - at);
  if (age > 10) return { text: t(lang, "stale", { s: Math.round(age) }), stale: true };
  const time = new Date(at * 1000).toLocaleTimeString(lang === "en" ? "en-GB" : "zh-CN");
  return { text: t(lang, "fresh", { t: time }), stale: false };
}

const LINE_COLUMNS = [
  ["col.issued", (l) => l.issued ?? 0], ["col.served", (l) => l.served ?? 0],
  ["col.mean_wait", (l, lang) => duration(l.mean_wait_s, lang)],
  ["col.p90_wait", (l, lang) => duration(l.p90_wait_s, lang)],
  ["col.over", (l) => share(l.over_threshold_share)],
  ["col.service", (l, lang) => duration(l.mean_service_s, lang)],
  ["col.rating", (l) => rating(l.rating_mean)],
];

/** The ranking tables: header cells and rows of cells. */
export function rankingModel(answer, lang = "zh") {
  const head = (first) => [t(lang, "col.rank"), ...first, ...LINE_COLUMNS.map(([k]) => t(lang, k))];
  const cells = (line) => LINE_COLUMNS.map(([, f]) => String(f(line, lang)));
  return {
    branches: {
      head: head([t(lang, "col.branch")]),
      rows: (answer.branches || []).map((l) => ({
        code: l.branch, cells: [l.rank ?? "—", `${l.branch_name} (${l.branch})`, ...cells(l)],
      })),
    },
    tellers: {
      head: head([t(lang, "col.teller"), t(lang, "col.branch")]),
      rows: (answer.tellers || []).map((l) => ({
        code: l.branch, cells: [l.rank ?? "—", l.teller, l.branch_name, ...cells(l)],
      })),
    },
  };
}

function blockRows(table, lang, extra = () => []) {
  return Object.entries(table || {}).map(([key, b]) => [
    key, String(b.issued), String(b.called), String(b.served), String(b.skipped),
    duration(b.waits.mean_s, lang), share(b.waits.over_threshold_share),
    duration(b.service_times.mean_s, lang), rating(b.ratings.mean), ...extra(b),
  ]);
}

/** The day's appointments as cards beside the other figures (none from an older centre). */
function appointmentCards(a, lang) {
  if (!a) return [];
  return [
    ["card.appointments", `${a.arrived} / ${a.booked}`], ["card.appointments_no_show", String(a.no_show)],
    ["card.appointments_cancelled", String(a.cancelled)],
    ["card.appointments_wait", duration(a.waits.mean_s, lang)],
  ];
}

/** One branch's day: headline cards and the tables by service, counter, teller and hour. */
export function dayModel(answer, lang = "zh") {
  const f = answer.figures;
  const head = [t(lang, "col.key"), t(lang, "col.issued"), t(lang, "col.called"), t(lang, "col.served"),
    t(lang, "col.skipped"), t(lang, "col.mean_wait"), t(lang, "col.over"), t(lang, "col.service"),
    t(lang, "col.rating")];
  const services = Object.fromEntries(((answer.described || {}).services || [])
    .map((s) => [s.code, lang === "en" && s.name_en ? s.name_en : s.name]));
  const hours = Object.entries(f.by_hour || {}).map(([hour, b]) => ({ hour, issued: b.issued }));
  const top = Math.max(1, ...hours.map((h) => h.issued));
  return {
    title: `${answer.branch.name} (${answer.branch.code}) · ${f.date}`,
    cards: [
      ["card.issued", String(f.issued)], ["card.served", String(f.served)],
      ["card.waiting", String(f.waiting)], ["card.mean_wait", duration(f.waits.mean_s, lang)],
      ["card.over", share(f.waits.over_threshold_share)],
      ["card.service", duration(f.service_times.mean_s, lang)],
      ["card.rating", rating(f.ratings.mean)], ["card.vip", String(f.vip.issued)],
      ...appointmentCards(f.appointments, lang),
    ].map(([k, v]) => ({ key: k.slice("card.".length), label: t(lang, k), value: v })),
    services: { head, rows: blockRows(f.by_service, lang).map((r) => [services[r[0]] ? `${r[0]} ${services[r[0]]}` : r[0], ...r.slice(1)]) },
    counters: { head: [...head, t(lang, "col.paused")],
                rows: blockRows(f.by_counter, lang, (b) => [duration(b.paused_s, lang)]) },
    tellers: { head, rows: blockRows(f.by_teller, lang) },
    hours: hours.map((h) => ({ ...h, width: Math.round((h.issued / top) * 100) })),
    devices: (answer.devices || []).map((d) => ({ name: d.name, status: d.status,
      detail: Object.entries(d.detail || {}).map(([k, v]) => `${k}: ${v}`).join(", ") })),
  };
}
