// A staff session kept in localStorage for the business day: a page reloaded, a network drop
// or an engine restart does not ask the teller to log in again; the next day does.

import { dayOf } from "./format.js";

export function load(key, today = dayOf(new Date())) {
  try {
    const saved = JSON.parse(localStorage.getItem(key) || "null");
    if (saved && saved.token && saved.day === today) return saved;
  } catch (_) { /* corrupt entry: log in again */ }
  return null;
}

export function save(key, session, today = dayOf(new Date())) {
  const value = { ...session, day: today };
  localStorage.setItem(key, JSON.stringify(value));
  return value;
}

export function clear(key) {
  localStorage.removeItem(key);
}
