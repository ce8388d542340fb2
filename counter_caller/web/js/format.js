// Pure formatting of times and durations for the pages (no clock read here).

export function epoch(iso) {
  if (iso === null || iso === undefined || iso === "") return null;
  if (typeof iso === "number") return iso;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

export function duration(seconds, lang = "zh") {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (lang === "en") {
    if (h) return `${h}h ${m}m`;
    return m ? `${m}m ${String(r).padStart(2, "0")}s` : `${r}s`;
  }
  if (h) return `${h}小时${m}分`;
  return m ? `${m}分${String(r).padStart(2, "0")}秒` : `${r}秒`;
}

export function clock(iso) {
  const t = epoch(iso);
  if (t === null) return "–";
  const d = new Date(t * 1000);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

// The time of day as the engine wrote it, in the branch's own zone (a plan's hours are the
// branch's, whatever zone the browser is set to).
export function branchClock(iso) {
  const m = /T(\d{2}):(\d{2})/.exec(typeof iso === "string" ? iso : "");
  return m ? `${m[1]}:${m[2]}` : clock(iso);
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

// The local business day as YYYY-MM-DD for a Date (a teller's session lasts one day).
export function dayOf(date) {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}
