// The rating tablet as pure state: events in, the screen to show out; time passed in (epoch s).
// welcome → ask (a ticket finished at this counter, or the teller asked) → thanks (rated)
// → welcome after a while.

export const DEFAULTS = { scale: 3, timeout_s: 30, thanks_s: 5 };

const THREE = [
  { value: 5, label: "非常满意", label_en: "Very satisfied", tone: "best" },
  { value: 4, label: "满意", label_en: "Satisfied", tone: "good" },
  { value: 1, label: "不满意", label_en: "Dissatisfied", tone: "bad" },
];
const FIVE = [5, 4, 3, 2, 1].map((v) => ({
  value: v,
  label: `${v} 分`,
  label_en: `${v}`,
  tone: v >= 4 ? "good" : v === 3 ? "fair" : "bad",
}));

// The branch's [rating] section (any of it may be missing) with the defaults filled in.
export function settings(section) {
  const s = { ...DEFAULTS, ...(section || {}) };
  let levels = Array.isArray(s.levels) && s.levels.length ? s.levels : null;
  if (!levels) levels = Number(s.scale) === 5 ? FIVE : THREE;
  return { timeoutS: Number(s.timeout_s), thanksS: Number(s.thanks_s), levels };
}

export function initial(counter) {
  return { counter: Number(counter), screen: "welcome", ticket: null, until: null, rated: null };
}

function ours(state, ticket) {
  return ticket && Number(ticket.counter) === state.counter;
}

export function applyEvent(state, event, now, cfg) {
  const ticket = event.data && event.data.ticket;
  if (!event.type || !event.type.startsWith("ticket.") || !ours(state, ticket)) return state;
  if (state.ticket && ticket.id === state.ticket.id && ticket.rating !== null && ticket.rating !== undefined) {
    // Rated from elsewhere (the teller's keypad): nothing left to ask.
    return state.screen === "ask" ? thanked(state, ticket.rating, now, cfg) : state;
  }
  const asked = event.type === "ticket.finished" || event.type === "ticket.rating_requested";
  if (asked && (ticket.rating === null || ticket.rating === undefined)) {
    return { ...state, screen: "ask", ticket, until: now + cfg.timeoutS, rated: null };
  }
  if (event.type === "ticket.called" && state.screen === "ask") {
    // The next customer is on the way: the previous one has left without rating.
    return { ...state, screen: "welcome", ticket: null, until: null };
  }
  return state;
}

export function thanked(state, rating, now, cfg) {
  return { ...state, screen: "thanks", rated: rating, until: now + cfg.thanksS };
}

export function tick(state, now) {
  if (state.until !== null && now >= state.until) {
    return { ...state, screen: "welcome", ticket: null, until: null, rated: null };
  }
  return state;
}
