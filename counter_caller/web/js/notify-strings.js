// The "remind me" panel's words that the ticket page and the appointment page share (each
// page adds its own title, what it tells, and the consent line), and the engine's refusals of
// an opt-in by their stable codes (queue_core/api/notify.py).

export const NOTIFY_STRINGS = {
  zh: {
    "notify.push": "在本手机上提醒", "notify.push.on": "✓ 本手机会收到提醒",
    "notify.sms.label": "或者用短信提醒（手机号码）", "notify.sms.send": "短信提醒我",
    "notify.sms.on": "✓ 提醒短信会发到您留下的号码",
    "notify.phone.bad": "请输入 11 位手机号码，例如 138 1234 5678。", "notify.consent.needed": "请先勾选上面的同意。",
    "notify.push.denied": "没有获得通知权限：请在浏览器设置中允许本网页发通知，或改用短信。",
    "notify.push.failed": "本手机暂时无法接收推送提醒，请改用短信。",
    "notify.failed": "没有设置成功：{message}",
    "notify.stop": "停止提醒", "notify.stopped": "已停止提醒，不会再发给您。需要时可以在下面重新设置。",
    "notify.stop.failed": "没有停止成功：{message}",
    "err.engine_unavailable": "连接不上银行的服务器，请稍后再试。",
    "err.invalid_phone": "请输入 11 位手机号码。", "err.consent_needed": "请先勾选同意。",
    "err.sms_daily_limit": "今天发给此号码的提醒已经够多了。", "err.notify_off": "本网点没有开通这种提醒。",
    "err.invalid_subscription": "本手机的推送服务不受支持，请改用短信。",
    "err.too_many_requests": "操作太频繁，请稍后再试。",
  },
  en: {
    "notify.push": "Notify me on this phone", "notify.push.on": "✓ This phone will be notified",
    "notify.sms.label": "Or by text message (mobile number)", "notify.sms.send": "Text me",
    "notify.sms.on": "✓ Reminders will be sent by text message",
    "notify.phone.bad": "Please enter an 11-digit mobile number, e.g. 138 1234 5678.", "notify.consent.needed": "Please tick the agreement above first.",
    "notify.push.denied": "Notifications are not allowed: allow them for this page in the browser's settings, or use a text message.",
    "notify.push.failed": "This phone cannot receive notifications now; please use a text message.",
    "notify.failed": "That did not work: {message}",
    "notify.stop": "Stop reminders", "notify.stopped": "Reminders stopped: nothing more will be sent. You can ask again below.",
    "notify.stop.failed": "The reminders were not stopped: {message}",
    "err.engine_unavailable": "The bank's server cannot be reached; please try again shortly.",
    "err.invalid_phone": "Please enter an 11-digit mobile number.", "err.consent_needed": "Please tick the agreement first.",
    "err.sms_daily_limit": "This number has had enough reminders today.", "err.notify_off": "This branch does not offer that kind of reminder.",
    "err.invalid_subscription": "This phone's push service is not supported; please use a text message.",
    "err.too_many_requests": "Too many tries; please wait a moment.",
  },
};
