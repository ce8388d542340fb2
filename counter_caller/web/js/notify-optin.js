// The "remind me" panel the ticket page and the appointment page share: a push button when
// the browser can subscribe and the branch has a push key, the SMS form with its consent
// tick, the channels this phone turned on (kept per ticket or appointment in held.js), and
// the engine's refusals in the customer's words, and the button that stops what is on (the
// same …/public/notify, DELETE: the engine deletes the request on every channel). Both pages
// hold the same elements (#notify, #push, #push-on, #sms, #sms-phone, #sms-consent, #sms-on,
// #notify-stop, #notify-stopped, #notify-error); each says where its opt-in goes and which
// channels to offer (its state module decides).

import { Api } from "./api.js";
import * as held from "./held.js";
import * as i18n from "./i18n.js";
import { t } from "./i18n.js";
import { phoneNumber } from "./ticket-state.js";

const $ = (sel) => document.querySelector(sel);
const api = new Api(null);
let stopped = false;  // this visit stopped the reminders: the panel says so until asked again

// Whether this visit stopped the reminders (what the state modules take as `stopped`).
export function stoppedHere() { return stopped; }

export const pushSupported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

// A refusal in the customer's words: by its stable code where the page knows it.
export function said(exc) {
  const key = `err.${exc && exc.code}`;
  const text = t(key);
  return text === key ? String(exc && exc.message || exc) : text;
}

export function problem(el, message) {
  el.textContent = message || "";
  el.hidden = !message;
}

// Show the panel as its state module worked it out: {show, push, sms, stop, stopped} with
// "offer", "on" or "none" per channel, whether something is on to stop, and whether to say
// that it was stopped.
export function show(panel) {
  $("#notify").hidden = !panel.show;
  if (!panel.show) return;
  $("#push").hidden = panel.push !== "offer";
  $("#push-on").hidden = panel.push !== "on";
  $("#sms").hidden = panel.sms !== "offer";
  $("#sms-on").hidden = panel.sms !== "on";
  $("#notify-stop").hidden = !panel.stop;
  $("#notify-stopped").hidden = !panel.stopped;
}

function b64url(text) {
  const pad = "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob((text + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

// Wire the panel's button and form. id: the ticket's or appointment's id (what the "on"
// states are kept under); path: where the opt-in is posted; pushKey(): the branch's VAPID
// public key; render(): the page draws itself again after each try.
export function wire({ id, path, pushKey, render }) {
  const error = $("#notify-error");
  $("#push").addEventListener("click", async () => {
    problem(error, "");
    try {
      if (await Notification.requestPermission() !== "granted") {
        problem(error, t("notify.push.denied"));
        return;
      }
      const reg = await navigator.serviceWorker.register("/ui/js/push-sw.js");
      await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64url(pushKey()) });
      await api.post(path, { push: sub.toJSON(), lang: i18n.current() });
      held.setNotified(id, { push: true });
      stopped = false;
    } catch (exc) {
      problem(error, exc && exc.code ? t("notify.failed", { message: said(exc) }) : t("notify.push.failed"));
    } finally {
      render();
    }
  });
  $("#sms").addEventListener("submit", async (event) => {
    event.preventDefault();
    const phone = phoneNumber($("#sms-phone").value);
    if (!phone) return problem(error, t("notify.phone.bad"));
    if (!$("#sms-consent").checked) return problem(error, t("notify.consent.needed"));
    problem(error, "");
    try {
      await api.post(path, { sms: { phone, consent: true }, lang: i18n.current() });
      $("#sms-phone").value = "";  // the number is not kept on the page either
      $("#sms-consent").checked = false;
      held.setNotified(id, { sms: true });
      stopped = false;
    } catch (exc) {
      problem(error, t("notify.failed", { message: said(exc) }));
    }
    render();
  });
  $("#notify-stop").addEventListener("click", async () => {
    problem(error, "");
    const button = $("#notify-stop");
    button.disabled = true;  // one press is enough; a second would only ask again
    try {
      await api.del(path);
      held.setNotified(id, { push: false, sms: false });
      stopped = true;
    } catch (exc) {
      problem(error, t("notify.stop.failed", { message: said(exc) }));
    } finally {
      button.disabled = false;
      render();
    }
  });
}
