// The phone pages' service worker: shows the engine's Web Push messages ("you're next", "please
// go to counter 3") as notifications, and opens the ticket's page when one is tapped. The
// message is the JSON the engine encrypted for this subscription: {title, body, url, tag}.

self.addEventListener("push", (event) => {
  let message = {};
  try { message = event.data ? event.data.json() : {}; } catch (_) { message = { body: event.data && event.data.text() }; }
  const title = message.title || "排队提醒";
  event.waitUntil(self.registration.showNotification(title, {
    body: message.body || "",
    tag: message.tag || "branchq",
    renotify: true,
    requireInteraction: true,
    vibrate: [400, 200, 400, 200, 400],
    data: { url: message.url || "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  if (url.origin !== self.location.origin) return;  // only the engine's own pages
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of open) {
      if (new URL(client.url).pathname === url.pathname) return client.focus();
    }
    return self.clients.openWindow(url.href);
  })());
});
