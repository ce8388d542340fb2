// The teller's caller as pure state: engine events and action answers in, screen model out.
// No DOM, no clock, no network: `now` (epoch seconds) and the domain's tables (rules.js: the
// ticket MOVES and the COUNTER_MOVES) are passed in.

const LIVE = new Set(["called", "serving"]);

// `login`: the teller using this page (a counter held by another teller is theirs to work).
export function initial(counter, login = null) {
  return { counter: Number(counter), login, info: null, queue: {}, seq: null, flash: null, latest: {} };
}

// A visit only moves forward: (times called, how far along). An action's answer and the events
// reach the page by two roads, so an older word about a ticket may arrive after a newer one.
const RANK = { waiting: 0, called: 1, serving: 2 };
function progress(ticket) {
  return [Number(ticket.call_count || 0), RANK[ticket.status] ?? 3];
}
function older(a, b) {
  const [x, y] = [progress(a), progress(b)];
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]);
}

// The newest word on a ticket: the one given, unless the page already knows a later one.
function freshest(state, ticket) {
  const known = state.latest[ticket.id];
  return known && older(ticket, known) ? known : ticket;
}

function remember(state, ticket) {
  const latest = { ...state.latest, [ticket.id]: ticket };
  const ids = Object.keys(latest);
  if (ids.length > 200) delete latest[ids[0]]; // a day's worth at one counter is plenty
  return { ...state, latest };
}

function withCurrent(state, ticket) {
  const info = { ...(state.info || { number: state.counter, state: "open" }), current: ticket };
  return { ...state, info };
}

// The counter as GET /counters, a counter.updated event or a snapshot describes it.
export function applyCounter(state, counter) {
  if (!counter || Number(counter.number) !== state.counter) return state;
  let current = counter.current || null;
  if (current) {
    current = freshest(state, current);
    if (!LIVE.has(current.status)) current = null;
  }
  return { ...state, info: { ...counter, current } };
}

// A ticket seen in an event or in an action's answer: it becomes, stays, or stops being ours.
export function applyTicket(state, given) {
  if (!given) return state;
  const ticket = freshest(state, given);
  if (ticket !== given) return state;
  state = remember(state, ticket);
  const current = state.info && state.info.current;
  const ours = Number(ticket.counter) === state.counter;
  if (ours && LIVE.has(ticket.status)) {
    if (current && current.id !== ticket.id && LIVE.has(current.status)) {
      // An older event about a ticket we already moved past: keep the newer one.
      if ((current.called_at || "") > (ticket.called_at || "")) return state;
    }
    return withCurrent(state, ticket);
  }
  if (current && current.id === ticket.id) return withCurrent(state, LIVE.has(ticket.status) ? ticket : null);
  return state;
}

export function applyEvent(state, event) {
  const data = event.data || {};
  let next = { ...state, seq: event.seq ?? state.seq };
  if (event.type === "snapshot") {
    const mine = (data.counters || []).find((c) => Number(c.number) === state.counter);
    next = mine ? applyCounter(next, mine) : next;
    return { ...next, queue: data.queue || next.queue };
  }
  if (event.type === "counter.updated") return applyCounter(next, data.counter);
  if (event.type && event.type.startsWith("ticket.")) {
    if (data.queue) next = { ...next, queue: data.queue };
    next = applyTicket(next, data.ticket);
    if (event.type === "ticket.recalled" && data.ticket && Number(data.ticket.counter) === state.counter) {
      next = { ...next, flash: { kind: "recalled", seq: event.seq } };
    }
    return next;
  }
  return next;
}

function allowed(moves, action, status) {
  const move = moves && moves[action];
  return Boolean(move && status && move.from.includes(status));
}

// Which actions make sense now: the ticket's and the counter's moves as the domain's tables
// allow them, at a counter this teller may work (nobody else holds it: else only take over).
// Calling also needs the desk free, closing too; a paused counter comes back by resume.
export function actions(state, moves, counterMoves) {
  const info = state.info;
  const counterState = info ? info.state : null;
  const ticket = info && info.current && LIVE.has(info.current.status) ? info.current : null;
  const status = ticket ? ticket.status : null;
  const heldByOther = Boolean(info && info.teller && state.login && info.teller !== state.login);
  const mine = !heldByOther;
  const counter = (action) => mine && allowed(counterMoves, action, counterState);
  const open = counterState === "open";
  return {
    call_next: mine && open && !ticket,
    call: mine && open && !ticket,
    recall: mine && allowed(moves, "recall", status),
    start: mine && allowed(moves, "start", status),
    skip: mine && allowed(moves, "skip", status),
    finish: mine && allowed(moves, "finish", status),
    transfer: mine && allowed(moves, "transfer", status),
    pause: counter("pause"),
    resume: counter("resume"),
    open: counter("open") && !counter("resume"),
    close: counter("close") && !ticket,
    rating_request: mine && (open || counterState === "paused"),
    take_over: heldByOther && allowed(counterMoves, "take_over", counterState),
  };
}

export function waitingFor(state) {
  const info = state.info;
  if (!info) return null;
  const services = info.services || [];
  let total = 0;
  let known = false;
  for (const code of services) {
    const q = state.queue[code];
    if (q && typeof q.waiting === "number") { total += q.waiting; known = true; }
  }
  if (known) return total;
  if (typeof info.waiting === "number") return info.waiting;
  if (Array.isArray(info.waiting)) return info.waiting.length;
  return null;
}

function seconds(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

// The screen model: what the caller page shows at `now` (epoch seconds).
export function model(state, now, moves, counterMoves) {
  const info = state.info;
  const t = info && info.current && LIVE.has(info.current.status) ? info.current : null;
  let ticket = null;
  if (t) {
    const issued = seconds(t.issued_at);
    const called = seconds(t.called_at);
    const started = seconds(t.started_at);
    ticket = {
      id: t.id,
      number: t.number,
      status: t.status,
      service: t.service,
      serviceName: t.service_name || t.service,
      serviceNameEn: t.service_name_en || t.service_name || t.service,
      tier: t.tier,
      tierName: t.tier_name || t.tier,
      vip: Boolean(t.is_vip),
      green: Boolean(t.green_channel),
      waitedS: issued === null ? null : Math.max(0, (called ?? now) - issued),
      sinceCallS: called === null ? null : Math.max(0, now - called),
      servingS: started === null ? null : Math.max(0, now - started),
      callCount: t.call_count ?? null,
      visit: t.visit ?? 1,
    };
  }
  return {
    counter: info ? {
      number: info.number, name: info.name, nameEn: info.name_en || info.name,
      state: info.state, reason: info.paused_reason || null, teller: info.teller || null,
      services: info.services || [],
    } : null,
    ticket,
    waiting: waitingFor(state),
    actions: actions(state, moves, counterMoves),
  };
}
