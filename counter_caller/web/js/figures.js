// The day's figures (GET /stats/daily) made ready for cards and charts. The endpoint is still
// growing: every key may be missing, and old names (mean, over_180s_share) are read too.

function num(v) {
  return typeof v === "number" && !Number.isNaN(v) ? v : null;
}

export function waits(block) {
  const b = block || {};
  return {
    count: num(b.count),
    mean: num(b.mean_s ?? b.mean),
    p50: num(b.p50_s ?? b.p50),
    p90: num(b.p90_s ?? b.p90),
    max: num(b.max_s ?? b.max),
    overShare: num(b.over_threshold_share ?? b.over_180s_share),
  };
}

// A by_* table as rows [{key, ...block}], whether it came as a dict or a list.
export function rows(table, keyName = "key") {
  if (!table) return [];
  if (Array.isArray(table)) return table.map((r, i) => ({ key: String(r[keyName] ?? r.key ?? r.code ?? r.number ?? r.hour ?? i), ...r }));
  return Object.entries(table).map(([key, v]) => ({ key, ...(v && typeof v === "object" ? v : { value: v }) }));
}

function vipIssued(stats) {
  if (stats.vip && num(stats.vip.issued) !== null) return stats.vip.issued;
  const tiers = rows(stats.by_tier);
  if (!tiers.length) return null;
  return tiers.filter((r) => r.key !== "normal").reduce((n, r) => n + (num(r.issued) || 0), 0);
}

export function summary(stats) {
  const s = stats || {};
  const w = waits(s.waits);
  const ratings = s.ratings || {};
  return {
    issued: num(s.issued), served: num(s.served), skipped: num(s.skipped), cancelled: num(s.cancelled),
    waiting: num(s.waiting), mean: w.mean, p90: w.p90, overShare: w.overShare,
    vip: vipIssued(s), vipServed: num(s.vip_served ?? (s.vip && s.vip.served)),
    green: s.green_channel ? num(s.green_channel.issued) : null,
    greenServed: s.green_channel ? num(s.green_channel.served) : null,
    care: s.care_window ? num(s.care_window.served) : null,
    apptBooked: s.appointments ? num(s.appointments.booked) : null,
    apptArrived: s.appointments ? num(s.appointments.arrived) : null,
    apptWait: s.appointments ? waits(s.appointments.waits).mean : null,
    ratingMean: num(ratings.mean), ratingCount: num(ratings.count),
    threshold: num(s.threshold_s) ?? 180,
  };
}

export function hourly(stats) {
  return rows((stats || {}).by_hour)
    .map((r) => ({ label: `${String(r.key).padStart(2, "0")}`, ...waits(r.waits), issued: num(r.issued) }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

export function servedBy(stats, dimension) {
  return rows((stats || {})[dimension])
    .filter((r) => r.key !== "None" && r.key !== "null")
    .map((r) => ({ label: r.key, value: num(r.served) ?? 0, skipped: num(r.skipped) ?? 0, rating: num(r.ratings && r.ratings.mean) }))
    .sort((a, b) => (/^\d+$/.test(a.label) && /^\d+$/.test(b.label) ? Number(a.label) - Number(b.label) : a.label.localeCompare(b.label)));
}

export function ratingDistribution(stats) {
  const d = ((stats || {}).ratings || {}).distribution || {};
  return ["5", "4", "3", "2", "1"].map((k) => ({ label: k, value: num(d[k]) ?? 0 }));
}
