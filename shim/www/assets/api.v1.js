// api: the one place that talks to the Finote HTTP API.
// Same-origin fetch with the session cookie; errors become ApiError with the
// server's stable code, and describe() turns a code into words for people.
// The login token in the JSON answer is ignored on purpose: the HttpOnly
// cookie is the session, and nothing secret is ever kept in the page.

export class ApiError extends Error {
  constructor(status, code, serverMessage) {
    super(serverMessage || code);
    this.name = 'ApiError';
    this.status = status;          // 0 when the request never got an answer
    this.code = code;              // the server's error.code, or one made up here
    this.serverMessage = serverMessage || '';
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
  413: 'too_large', 429: 'too_many_attempts', 500: 'internal', 502: 'unavailable',
  503: 'unavailable', 504: 'unavailable',
};

async function request(method, path, body, { signal } = {}) {
  const init = { method, credentials: 'same-origin', cache: 'no-store', signal, headers: {} };
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
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON: handled below */ }
  if (res.ok) return data;
  const err = data && data.error ? data.error : {};
  throw new ApiError(res.status, err.code || FALLBACK_CODES[res.status] || 'http_' + res.status,
                     typeof err.message === 'string' ? err.message : '');
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
  createNote: (fields) => request('POST', '/api/notes', fields).then((d) => d.note),
  updateNote: (id, fields) =>
    request('PATCH', '/api/notes/' + encodeURIComponent(id), fields).then((d) => d.note),
  deleteNote: (id) => request('DELETE', '/api/notes/' + encodeURIComponent(id)),
  // 1.1 only: answers 404 on a 1.0 server.
  tags: () => request('GET', '/api/tags').then((d) => d.tags || []),
};

function sentence(s) {
  s = String(s || '').trim();
  if (!s) return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

// Words a person understands, for an error from the API.
export function describe(err) {
  if (!(err instanceof ApiError)) return 'Something went wrong in the app. Please reload the page.';
  switch (err.code) {
    case 'network':
      return "Can't reach Finote. Check your connection.";
    case 'unavailable':
      return 'Finote is briefly unavailable. Please try again in a moment.';
    case 'username_taken':
      return 'That username is already taken. Please choose another one.';
    case 'invalid_credentials':
      return 'Wrong username or password.';
    case 'too_many_attempts':
      return 'Too many failed log-in attempts. Please wait 15 minutes, then try again.';
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
