// auth: the log-in and register screen (one form, two modes). Errors are
// shown under the input they are about, or above the button when they are
// about the whole form (wrong password, too many attempts, server down).

import { api, describe } from './api.v3.js';
import { $, showView, setText, fieldError, clearErrors } from './dom.v2.js';

const USERNAME_RE = /^[A-Za-z0-9_.-]{2,32}$/;
const bytes = (s) => new TextEncoder().encode(s).length;

let mode = 'login';
let busy = false;

function setMode(m) {
  mode = m;
  const reg = m === 'register';
  setText('auth-title', reg ? 'Create an account' : 'Log in');
  setText('auth-submit', reg ? 'Create account' : 'Log in');
  setText('auth-switch-text', reg ? 'Already have an account?' : 'New to Finote?');
  setText('auth-switch', reg ? 'Log in instead' : 'Create an account');
  $('auth-username-hint').hidden = !reg;
  $('auth-password-hint').hidden = !reg;
  $('auth-password').autocomplete = reg ? 'new-password' : 'current-password';
  document.title = (reg ? 'Create an account' : 'Log in') + ' · Finote';
  clearErrors($('auth-form'));
}

// notice: a message shown above the form (session expired, logged out).
export function openAuth(ctx, which, notice) {
  setMode(which);
  setText('auth-notice', notice || '');
  $('auth-password').value = '';
  const username = $('auth-username');
  showView('view-auth', username.value ? $('auth-password') : username);
}

function validate() {
  const username = $('auth-username').value.trim();
  const password = $('auth-password').value;
  let ok = true;
  if (!username) { fieldError('auth-username', 'Enter your username.'); ok = false; }
  else if (mode === 'register' && !USERNAME_RE.test(username)) {
    fieldError('auth-username', 'Use 2–32 characters: letters, digits, _ . or -.'); ok = false;
  }
  if (!password) { fieldError('auth-password', 'Enter your password.'); ok = false; }
  else if (mode === 'register' && bytes(password) < 8) {
    fieldError('auth-password', 'Use at least 8 characters.'); ok = false;
  } else if (bytes(password) > 1024) {
    fieldError('auth-password', 'That password is too long (1024 bytes at most).'); ok = false;
  }
  return ok ? { username, password } : null;
}

function showError(e) {
  const msg = describe(e);
  if (e.code === 'username_taken') { fieldError('auth-username', msg); $('auth-username').focus(); return; }
  if (e.code === 'invalid_input') {
    const m = e.serverMessage.toLowerCase();
    if (m.includes('password')) { fieldError('auth-password', msg); $('auth-password').focus(); return; }
    if (m.includes('username')) { fieldError('auth-username', msg); $('auth-username').focus(); return; }
  }
  setText('auth-error', msg);
  if (e.code === 'invalid_credentials') {
    $('auth-password').value = '';
    $('auth-password').focus();
  }
}

export function initAuth(ctx) {
  $('auth-switch').addEventListener('click', () => {
    location.hash = mode === 'login' ? '#/register' : '#/login';
  });
  $('auth-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy) return;
    clearErrors($('auth-form'));
    setText('auth-notice', '');
    const creds = validate();
    if (!creds) {
      const bad = $('auth-form').querySelector('[aria-invalid]');
      if (bad) bad.focus();
      return;
    }
    busy = true;
    const submit = $('auth-submit');
    submit.setAttribute('aria-busy', 'true');   // not disabled: that would drop focus
    let registered = false;
    try {
      if (mode === 'register') {
        await api.register(creds.username, creds.password);
        registered = true;
      }
      const user = await api.login(creds.username, creds.password);
      $('auth-password').value = '';
      ctx.loggedIn(user);
    } catch (err) {
      if (registered) {             // the account exists now; only logging in failed
        history.replaceState(null, '', '#/login');
        setMode('login');
        setText('auth-notice', 'Your account was created. Please log in.');
      }
      showError(err);
    } finally {
      busy = false;
      submit.removeAttribute('aria-busy');
    }
  });
}
