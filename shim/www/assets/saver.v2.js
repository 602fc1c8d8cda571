// saver: sends the newest version of one note to the server, one request at
// a time, and keeps trying when the network or the database blips.
//
//   const s = new Saver(async (payload) => note, (state, info) => {...});
//   s.request(payload)   save this (replaces anything not yet sent)
//   s.retryNow()         skip the wait before the next try
//   s.drop()             forget the text not yet sent (the user chose another)
//   s.stop()             forget the timer (the draft stays in localStorage)
//
// States reported to onState: 'saving', 'saved' {note, payload}, 'retrying' {error,
// delayMs}, 'expired' {error} (session gone: log in again), 'conflict' {error}
// (412: the note changed elsewhere; error.note is the server's; nothing is
// sent until the user chooses), 'failed' {error} (the server refused the
// text, e.g. too long; no retry until the next edit).

const DELAYS_MS = [1000, 2000, 4000, 8000, 15000];   // then 15 s for ever

export function backoffDelay(attempt) {
  const base = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)];
  return Math.round(base * (0.8 + Math.random() * 0.4)); // ±20% jitter
}

export class Saver {
  constructor(save, onState) {
    this.save = save;
    this.onState = onState;
    this.pending = null;     // newest payload the server has not confirmed
    this.inFlight = false;
    this.timer = null;
    this.attempt = 0;
    this.stopped = false;
    this.onOnline = () => { if (this.timer) this.retryNow(); };
    window.addEventListener('online', this.onOnline);
  }

  get busy() { return this.inFlight || this.pending !== null; }

  request(payload) {
    this.pending = payload;
    if (!this.inFlight && !this.timer) this.run();
  }

  retryNow() {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (!this.inFlight) this.run();
  }

  drop() {
    this.pending = null;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    window.removeEventListener('online', this.onOnline);
  }

  async run() {
    if (this.stopped || this.pending === null) return;
    const payload = this.pending;
    this.pending = null;
    this.inFlight = true;
    this.onState('saving', {});
    let note, error;
    try { note = await this.save(payload); } catch (e) { error = e; }
    this.inFlight = false;
    if (this.stopped) return;

    if (!error) {
      this.attempt = 0;
      if (this.pending !== null) { this.run(); return; }   // typed more meanwhile
      this.onState('saved', { note, payload });
      return;
    }
    if (this.pending === null) this.pending = payload;     // newer text wins
    if (error.retryable) {
      const delayMs = backoffDelay(this.attempt++);
      this.timer = setTimeout(() => { this.timer = null; this.run(); }, delayMs);
      this.onState('retrying', { error, delayMs });
    } else if (error.sessionExpired) {
      this.onState('expired', { error });
    } else if (error.status === 412) {
      this.attempt = 0;
      this.onState('conflict', { error });
    } else {
      this.attempt = 0;
      this.onState('failed', { error });
    }
  }
}
