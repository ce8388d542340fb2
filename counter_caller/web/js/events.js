// Follow the engine's /events websocket for ever, like queue_core/client.py's EventStream:
// snapshot or replay on connect, then live events; reconnect with doubling backoff and jitter,
// asking for the events after the last seq seen, so nothing is lost across drops and restarts.
// Events at or below the last seq that a replay sends again are dropped.

import { API } from "./api.js";

export function eventsUrl(location, token, since) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ token });
  if (since !== null && since !== undefined) q.set("since", String(since));
  return `${scheme}//${location.host}${API}/events?${q}`;
}

export class EventStream {
  constructor({
    token, onEvent, onState = () => {}, onDown = () => {}, since = null,
    minBackoff = 200, maxBackoff = 10000, random = Math.random,
    location = window.location, WebSocketImpl = window.WebSocket,
  }) {
    Object.assign(this, { token, onEvent, onState, onDown, minBackoff, maxBackoff, random });
    this.location = location;
    this.WebSocketImpl = WebSocketImpl;
    this.lastSeq = since;
    this.connected = false;
    this.backoff = minBackoff;
    this.stopped = true;
    this.ws = null;
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.setConnected(false);
  }

  setConnected(value) {
    if (this.connected !== value) {
      this.connected = value;
      this.onState(value);
    }
  }

  connect() {
    if (this.stopped) return;
    const ws = new this.WebSocketImpl(eventsUrl(this.location, this.token, this.lastSeq));
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = this.minBackoff;
      this.setConnected(true);
    };
    ws.onmessage = (msg) => {
      let event;
      try { event = JSON.parse(msg.data); } catch (_) { return; }
      const seq = Number(event.seq || 0);
      if (event.type !== "snapshot" && this.lastSeq !== null && seq <= this.lastSeq) return;
      this.lastSeq = seq;
      this.onEvent(event);
    };
    ws.onclose = (info) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setConnected(false);
      if (this.stopped) return;
      // The browser hides the handshake's HTTP status: let the page check its token.
      this.onDown(info.code);
      const delay = this.backoff * (0.8 + 0.4 * this.random());
      this.backoff = Math.min(this.backoff * 2, this.maxBackoff);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
