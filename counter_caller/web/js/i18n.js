// Chinese first, English switchable: the chosen language is kept in localStorage per browser.

const KEY = "branchq.lang";
let dict = { zh: {}, en: {} };
let lang = "zh";

export function setup(strings) {
  dict = strings;
  try { lang = localStorage.getItem(KEY) === "en" ? "en" : "zh"; } catch (_) { lang = "zh"; }
  apply(document);
  return lang;
}

// The phone pages: the browser's own language the first time (a customer's phone in English
// opens in English), the one chosen since on later visits; `#lang` switches, then `onChange`.
export function setupForPhone(strings, onChange) {
  let stored = null;
  try { stored = localStorage.getItem(KEY); } catch (_) { /* private mode */ }
  setup(strings);
  if (!stored && /^en\b/i.test(navigator.language || "")) setLang("en");
  document.querySelector("#lang").addEventListener("click", () => {
    setLang(lang === "en" ? "zh" : "en");
    onChange();
  });
}

export function current() { return lang; }

export function setLang(value) {
  lang = value === "en" ? "en" : "zh";
  try { localStorage.setItem(KEY, lang); } catch (_) { /* private mode */ }
  apply(document);
}

export function t(key, params = {}) {
  const text = (dict[lang] && dict[lang][key]) ?? dict.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? `{${k}}`));
}

// Pick the name in the chosen language from an object with name / name_en.
export function named(obj, fallback = "") {
  if (!obj) return fallback;
  return (lang === "en" && obj.name_en) ? obj.name_en : (obj.name || obj.code || fallback);
}

export function apply(root) {
  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = t(el.dataset.i18nTitle); });
}
