// api: the one place that talks to the Finote HTTP API.
// Same-origin fetch with the session cookie; errors become ApiError with the
// server's stable code, and describe() turns a code into words for people.
// The login token in the JSON answer is ignored on purpose: the HttpOnly
// cookie is the session, and nothing secret is ever kept in the page.
// On a finote 1.3 server (probeV13) every create and restore carries an
// Idempotency-Key, so that sending it again never does the work twice, and
// every note change names this tab as its writer.

export class ApiError extends Error {
  constructor(status, code, serverMessage, { retryAfter = null, note = null } = {}) {
    super(serverMessage || code);
    this.name = 'ApiError';
    this.status = status;          // 0 when the request never got an answer
    this.code = code;              // the server's error.code, or one made up here
    this.serverMessage = serverMessage || '';
    this.retryAfter = retryAfter;  // seconds from a Retry-After header, or null
    this.note = note;              // a 412's current note (the server's text)
  }
  // Worth trying again later: the network or the database blipped.
  get retryable() {
    return [0, 408, 500, 502, 503, 504].includes(this.status);
  }
  get sessionExpired() {
    return this.status === 401 && this.code !== 'invalid_credentials';
  }
}

const FALLBACK_CODES = {
  400: 'invalid_input', 401: 'unauthorized', 404: 'not_found', 409: 'conflict',
  412: 'precondition_failed', 413: 'too_large', 429: 'too_many_attempts', 500: 'internal', 502: 'unavailable',
  503: 'unavailable', 504: 'unavailable',
};

// Retry-After in seconds (the shim sends seconds; an HTTP date is allowed too).
function retryAfter(res) {
  const v = res.headers.get('Retry-After');
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, Math.ceil((t - Date.now()) / 1000));
}

// If-Match for a note's version (finote 1.2); none when the server gave no
// version (an older server), so such a request behaves as it always did.
const ifMatch = (version) => (Number.isSafeInteger(version) ? { 'If-Match': `"${version}"` } : {});

// Whether the server takes Idempotency-Key and "writer" (finote 1.3): an
// OPTIONS on POST /api/import's path answers 204 there, 404 on older
// servers (and a 1.3 shim on an older database). Writes wait for the probe,
// so that none goes out keyless to a 1.3 server or keyed to an older one.
let v13 = false;
let v13Probe = null;
export function probeV13() {
  v13Probe = send('OPTIONS', '/api/import').then(() => true, () => false).then((on) => { v13 = on; return on; });
  return v13Probe;
}
export async function speaksV13() {
  if (v13Probe) await v13Probe;
  return v13;
}

// A fresh random id: 22 characters of [A-Za-z0-9_-] (128 bits), a valid
// Idempotency-Key and a valid writer.
export function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// This tab's writer: the server collapses a note's revisions only onto one
// written by the same session and the same writer, so two tabs of one
// session keep each other's text in the history. sessionStorage is per tab.
const WRITER = 'finote.writer';
let tabWriter = null;
function writer() {
  if (tabWriter) return tabWriter;
  try { tabWriter = sessionStorage.getItem(WRITER); } catch { /* private mode */ }
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(tabWriter || '')) {
    tabWriter = randomId();
    try { sessionStorage.setItem(WRITER, tabWriter); } catch { /* private mode: one per page load */ }
  }
  return tabWriter;
}

async function send(method, path, body, { signal, headers = {} } = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', signal, headers: { ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  init.headers.Accept = 'application/json';
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (res.ok) return res;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON: handled below */ }
  const err = data && data.error ? data.error : {};
  throw new ApiError(res.status, err.code || FALLBACK_CODES[res.status] || 'http_' + res.status,
                     typeof err.message === 'string' ? err.message : '',
                     { retryAfter: retryAfter(res), note: data && data.note ? data.note : null });
}

// A write with an Idempotency-Key (none before 1.3): the same key goes with
// every try, so a repeat answers what the first did. The server asks to come
// back later with 503 and Retry-After (a failover, say), or with 409 while
// the first try is still running: wait that long (at most a minute) and send
// it again, a few times; then the error goes to the caller, who keeps the key.
const KEYED_TRIES = 4;
const KEYED_WAIT_MAX_S = 60;
const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  if (signal) signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
});

async function sendKeyed(method, path, body, key, opts = {}) {
  if (!key || !(await speaksV13())) return send(method, path, body, opts);
  const headers = { ...(opts.headers || {}), 'Idempotency-Key': key };
  for (let attempt = 1; ; attempt++) {
    try {
      return await send(method, path, body, { ...opts, headers });
    } catch (e) {
      const again = (e.status === 503 && e.retryAfter !== null) || e.code === 'idempotency_key_in_use';
      if (!again || attempt >= KEYED_TRIES || (e.retryAfter || 0) > KEYED_WAIT_MAX_S) throw e;
      await sleep(Math.max(1, e.retryAfter || 1) * 1000, opts.signal);
    }
  }
}

async function request(method, path, body, opts) {
  const res = opts && opts.key !== undefined ? await sendKeyed(method, path, body, opts.key, opts)
                                             : await send(method, path, body, opts);
  if (res.status === 204) return null;
  try { return await res.json(); } catch { throw new ApiError(res.status, 'invalid_response', ''); }
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

export const api = {
  me: () => request('GET', '/api/auth/me').then((d) => d.user),
  register: (username, password) =>
    request('POST', '/api/auth/register', { username, password }).then((d) => d.user),
  // Returns only the user: the token in the answer is deliberately dropped.
  login: (username, password) =>
    request('POST', '/api/auth/login', { username, password }).then((d) => d.user),
  logout: () => request('POST', '/api/auth/logout'),

  listNotes: ({ q, tag, cursor, limit = 20 } = {}, opts) =>
    request('GET', '/api/notes' + query({ q, tag, cursor, limit }), undefined, opts),
  getNote: (id) => request('GET', '/api/notes/' + encodeURIComponent(id)).then((d) => d.note),
  // key: the Idempotency-Key of this create (1.3), the same on every retry.
  createNote: (fields, key) => request('POST', '/api/notes', fields, { key }).then((d) => d.note),
  // version: the note's version the change is based on (412 if it changed since).
  updateNote: async (id, fields, version) =>
    request('PATCH', '/api/notes/' + encodeURIComponent(id), (await speaksV13()) ? { ...fields, writer: writer() } : fields,
      { headers: ifMatch(version) }).then((d) => d.note),
  deleteNote: (id, version) =>
    request('DELETE', '/api/notes/' + encodeURIComponent(id), undefined, { headers: ifMatch(version) }),
  // 1.1 on: answers 404 on a 1.0 server.
  tags: () => request('GET', '/api/tags').then((d) => d.tags || []),

  // 1.2 on: history, trash, export, account deletion (404 on older servers).
  revisions: (id, { cursor, limit = 20 } = {}) =>
    request('GET', '/api/notes/' + encodeURIComponent(id) + '/revisions' + query({ cursor, limit })),
  revision: (id, rev) =>
    request('GET', '/api/notes/' + encodeURIComponent(id) + '/revisions/' + encodeURIComponent(rev)),
  restoreRevision: (id, rev, version, key) =>
    request('POST', '/api/notes/' + encodeURIComponent(id) + '/revisions/' + encodeURIComponent(rev) + '/restore',
      undefined, { headers: ifMatch(version), key }).then((d) => d.note),
  trash: ({ cursor, limit = 20 } = {}) => request('GET', '/api/trash' + query({ cursor, limit })),
  restoreFromTrash: (id, key) =>
    request('POST', '/api/trash/' + encodeURIComponent(id) + '/restore', undefined, { key }).then((d) => d.note),
  deleteFromTrash: (id) => request('DELETE', '/api/trash/' + encodeURIComponent(id)),
  // The whole export as a Blob (the browser keeps it until it is saved).
  exportNotes: ({ revisions = false } = {}) =>
    send('GET', '/api/export' + query({ revisions: revisions ? 'true' : '' })).then((res) => res.blob()),
  deleteAccount: (password) => request('DELETE', '/api/auth/me', { password }),
  // doc: a document in GET /api/export's format; key: this batch's own.
  importNotes: (doc, key, opts = {}) => request('POST', '/api/import', doc, { ...opts, key }),
};

// "15 minutes", "40 seconds": how long a Retry-After asks to wait.
function waitWords(seconds) {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const m = Math.ceil(seconds / 60);
  if (m < 120) return m === 1 ? '1 minute' : `${m} minutes`;
  return `${Math.ceil(m / 60)} hours`;
}

function sentence(s) {
  s = String(s || '').trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

// The real wait the server asked for, in words.
export function pleaseWait(err) {
  const wait = waitWords(err.retryAfter);
  return wait ? `Please wait ${wait}, then try again.` : 'Please wait a while, then try again.';
}

// Words a person understands, for an error from the API.
export function describe(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong in the app. Please reload the page.';
  switch (err.code) {
    case 'network':
      return "Can't reach Finote. Check your connection.";
    case 'unavailable': {
      const wait = err.retryAfter > 5 ? waitWords(err.retryAfter) : null;
      return 'Finote is briefly unavailable. ' +
        (wait ? `Please try again in ${wait}.` : 'Please try again in a moment.');
    }
    case 'username_taken':
      return 'That username is already taken. Please choose another one.';
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'too_many_attempts':
      return 'Too many failed log-in attempts. ' + pleaseWait(err);
    case 'too_many_requests':
      return 'Too many requests. ' + pleaseWait(err);
    case 'idempotency_key_in_use':
      return 'The same change is still being saved. Please try again in a moment.';
    case 'idempotency_key_mismatch':
      return 'This change does not match the one first sent under its key. Please reload the page.';
    case 'precondition_failed':
      return 'This note was changed somewhere else (another tab or device) since you opened it.';
    case 'unauthorized':
      return 'Your session expired, please log in again.';
    case 'not_found':
      return 'This note does not exist any more. It may have been deleted.';
    case 'too_large':
    case 'payload_too_large':
      return 'That is too long to save.';
    case 'invalid_input':
    case 'invalid_json':
      return err.serverMessage ? sentence(err.serverMessage) : 'Please check what you typed.';
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
    default:
      return err.serverMessage ? sentence(err.serverMessage)
                               : `Something went wrong (HTTP ${err.status}). Please try again.`;
  }
}
