// What this phone holds, kept in the browser only (localStorage): the remote tickets and the
// appointments it took (the check-in page checks them in when the kiosk's QR code is scanned),
// the reminders it asked for, and a random id for this browser that the engine's limits count
// by (per browser, per day). Nothing here identifies the customer.

const HELD = "branchq.held";
const NOTIFIED = "branchq.notified";
const BROWSER = "branchq.browser";

function read(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key) || "null");
    return value ?? fallback;
  } catch (_) {
    return fallback;  // private mode, or a value from an older page
  }
}

function write(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch (_) { /* private mode */ }
}

// {tickets: [id…], appointments: [id…]}
export function all() {
  const h = read(HELD, {});
  return { tickets: Array.isArray(h.tickets) ? h.tickets : [], appointments: Array.isArray(h.appointments) ? h.appointments : [] };
}

function put(kind, id, keep) {
  const h = all();
  const rest = h[kind].filter((x) => x !== id);
  h[kind] = keep ? [...rest, id].slice(-8) : rest;
  write(HELD, h);
}

export function keep(ticketId) { put("tickets", ticketId, true); }
export function forget(ticketId) { put("tickets", ticketId, false); }
export function keepAppointment(id) { put("appointments", id, true); }
export function forgetAppointment(id) { put("appointments", id, false); }

export function notified(ticketId) {
  return read(NOTIFIED, {})[ticketId] || {};
}

export function setNotified(ticketId, channels) {
  const all = read(NOTIFIED, {});
  all[ticketId] = { ...(all[ticketId] || {}), ...channels };
  const ids = Object.keys(all);
  for (const old of ids.slice(0, Math.max(0, ids.length - 16))) delete all[old];
  write(NOTIFIED, all);
}

// This browser's random id (128 bits), made once.
export function browserId() {
  let id = read(BROWSER, null);
  if (typeof id !== "string" || !/^[0-9a-f]{32}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    write(BROWSER, id);
  }
  return id;
}
