// Small SVG charts drawn here (no library): bars with an optional reference line.
// Pure: rows in, SVG markup out.

import { escapeHtml } from "./format.js";

export function barChart(rows, { width = 520, height = 200, line = null, lineLabel = "",
  format = (v) => String(v), color = "#3b7fd0", overColor = "#b3262d", title = "" } = {}) {
  const pad = { top: 18, right: 10, bottom: 26, left: 64 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const values = rows.map((r) => (typeof r.value === "number" ? r.value : 0));
  const top = Math.max(1, ...values, line ?? 0) * 1.1;
  const y = (v) => pad.top + h - (v / top) * h;
  const step = rows.length ? w / rows.length : w;
  const bar = Math.max(2, Math.min(48, step * 0.7));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
    `<line x1="${pad.left}" y1="${pad.top + h}" x2="${pad.left + w}" y2="${pad.top + h}" stroke="#8894a3"/>`,
    `<text x="${pad.left - 6}" y="${pad.top + 4}" text-anchor="end" font-size="11" fill="#5f6b7a">${escapeHtml(format(Math.round(top)))}</text>`,
  ];
  rows.forEach((r, i) => {
    const v = values[i];
    const x = pad.left + i * step + (step - bar) / 2;
    const over = line !== null && v > line;
    parts.push(`<rect class="bar${over ? " over" : ""}" data-label="${escapeHtml(r.label)}" data-value="${v}" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(pad.top + h - y(v)).toFixed(1)}" fill="${over ? overColor : color}"><title>${escapeHtml(r.label)}: ${escapeHtml(format(v))}</title></rect>`);
    parts.push(`<text x="${(x + bar / 2).toFixed(1)}" y="${height - 8}" text-anchor="middle" font-size="11" fill="#1c2530">${escapeHtml(r.label)}</text>`);
    if (rows.length <= 16 && v) parts.push(`<text x="${(x + bar / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#5f6b7a">${escapeHtml(format(v))}</text>`);
  });
  if (line !== null) {
    parts.push(`<line class="threshold" x1="${pad.left}" y1="${y(line).toFixed(1)}" x2="${pad.left + w}" y2="${y(line).toFixed(1)}" stroke="#b3262d" stroke-dasharray="5 4" stroke-width="1.5"/>`);
    parts.push(`<text x="${pad.left + w}" y="${(y(line) - 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#b3262d">${escapeHtml(lineLabel)}</text>`);
  }
  if (!rows.length) parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="#8894a3">–</text>`);
  parts.push("</svg>");
  return parts.join("");
}
