// app: start-up, the session, and the router.
//   #/login  #/register        log in / create an account
//   #/  (or empty)             the list of notes
//   #/new                      a new note
//   #/note/<id>                edit one note
//   #/note/<id>/history[/<rev>]  its earlier versions (1.2)
//   #/trash                    deleted notes (1.2)
//   #/account                  export my notes, delete my account (1.2), import notes (1.3)
// The session is the HttpOnly cookie; the page only remembers (in
// sessionStorage) that someone was logged in, to tell "your session expired"
// from a first visit.

import { api, describe, probeV13 } from './api.v3.js';
import { $, showView, setText, announce } from './dom.v2.js';
import { openAuth, initAuth } from './auth.v3.js';
import { openList, initList, resetList, refreshTags } from './list.v3.js';
import { openEditor, closeEditor, initEditor, showEditorLinks } from './editor.v3.js';
import { openHistory, openRevision, initHistory } from './history.v2.js';
import { openTrash, initTrash } from './trash.v2.js';
import { openAccount, initAccount } from './account.v2.js';
import { listDrafts, removeDraft } from './drafts.v3.js';
import { stopResume } from './notesync.v3.js';
import { backoffDelay } from './saver.v2.js';

const WAS_LOGGED_IN = 'finote.wasLoggedIn';
const EXPIRED = 'Your session expired, please log in again.';

const ctx = {
  user: null,
  v11: false,
  v12: false,
  v13: false,
  flashText: null,
  afterLogin: null,    // {hash, userId}: where to go once logged in (where the session ended)

  // Pin and tag controls only once the HTTP API is known to take them:
  // GET /api/tags answers 200 (a 1.0 shim says 404). Notes that carry pins
  // and tags show them either way.
  async probeV11() {
    const user = ctx.user;
    try { await api.tags(); } catch { return; }
    if (ctx.user !== user || ctx.v11) return;
    ctx.v11 = true;
    $('editor-v11').hidden = false;
    $('tag-filter-field').hidden = false;
    if (!$('view-list').hidden) refreshTags(ctx);
  },

  // History, trash, export and account deletion once the HTTP API has them:
  // GET /api/trash answers 200 (older servers say 404). The probe runs once
  // the session is known; a screen of those opened before it waits for it.
  probeV12() {
    const user = ctx.user;
    ctx.v12Probe = api.trash({ limit: 1 }).then(() => {
      if (ctx.user !== user || ctx.v12) return;
      ctx.v12 = true;
      showUser();
    }, () => {});
    return ctx.v12Probe;
  },

  // Idempotency keys, writers and Import notes once the server has them
  // (api.probeV13: POST /api/import exists).
  probeV13() {
    const user = ctx.user;
    ctx.v13Probe = probeV13().then((on) => { if (ctx.user === user) ctx.v13 = on; });
    return ctx.v13Probe;
  },

  loggedIn(user) {
    ctx.user = user;
    try { sessionStorage.setItem(WAS_LOGGED_IN, '1'); } catch { /* private mode */ }
    showUser();
    ctx.probeV11();
    ctx.probeV12();
    ctx.probeV13();
    const back = ctx.afterLogin;
    ctx.afterLogin = null;
    // Back to the note being written, if the same person logs in again.
    const to = back && (!back.userId || back.userId === user.id) ? back.hash : '#/';
    ctx.flash('Welcome, ' + user.username + '.');
    if (location.hash === to) route(); else location.hash = to;
  },

  // Any 401 on a logged-in request. Drafts stay in localStorage.
  sessionExpired() {
    if (!ctx.user) return;
    const here = location.hash;
    const userId = ctx.user.id;
    logoutLocally();
    ctx.afterLogin = /^#\/(new|note\/)/.test(here) ? { hash: here, userId } : null;
    goLogin(EXPIRED);
  },

  flash(text) { ctx.flashText = text; },
};

let pendingNotice = null;
function goLogin(notice) {
  pendingNotice = notice;
  if (location.hash === '#/login') route(); else location.hash = '#/login';
}

function showUser() {
  $('topbar-user').hidden = !ctx.user;
  setText('whoami-name', ctx.user ? ctx.user.username : '');
  $('account-link').hidden = !(ctx.user && ctx.v12);
  $('trash-link').hidden = !(ctx.user && ctx.v12);
  showEditorLinks();
}

function logoutLocally() {
  closeEditor();
  stopResume();
  resetList();
  ctx.user = null;
  ctx.v11 = false;
  ctx.v12 = false;
  ctx.v12Probe = null;
  ctx.v13 = false;
  ctx.v13Probe = null;
  $('editor-v11').hidden = true;
  $('tag-filter-field').hidden = true;
  try { sessionStorage.removeItem(WAS_LOGGED_IN); } catch { /* private mode */ }
  showUser();
}

const EDIT = /^#\/note\/([0-9a-fA-F-]{1,64})$/;
const HISTORY = /^#\/note\/([0-9a-fA-F-]{1,64})\/history(?:\/([0-9a-fA-F-]{1,64}))?$/;

// A 1.2 screen: once the probe has said whether the server has it.
async function open12(hash, show) {
  if (!ctx.v12 && ctx.v12Probe) await ctx.v12Probe;
  if (location.hash !== hash) return;           // the user went elsewhere meanwhile
  if (ctx.v12) show(); else location.hash = '#/';
}

function route() {
  const hash = location.hash || '#/';
  const flash = ctx.flashText;
  ctx.flashText = null;
  if (hash !== '#/new' && !EDIT.test(hash)) closeEditor();

  if (hash === '#/login' || hash === '#/register') {
    if (ctx.user) { location.hash = '#/'; return; }
    const notice = pendingNotice;
    pendingNotice = null;
    openAuth(ctx, hash === '#/register' ? 'register' : 'login', notice || flash);
    return;
  }
  if (!ctx.user) {                         // every other page needs a session
    ctx.afterLogin = hash === '#/' ? null : { hash, userId: null };
    location.hash = '#/login';
    return;
  }
  if (hash === '#/new') { document.title = 'New note · Finote'; openEditor(ctx, null); return; }
  const m = EDIT.exec(hash);
  if (m) { document.title = 'Edit note · Finote'; openEditor(ctx, m[1]); return; }
  const hm = HISTORY.exec(hash);
  if (hm) { open12(hash, () => (hm[2] ? openRevision(ctx, hm[1], hm[2]) : openHistory(ctx, hm[1]))); return; }
  if (hash === '#/trash') { open12(hash, () => openTrash(ctx)); return; }
  if (hash === '#/account') {
    open12(hash, async () => {
      if (ctx.v13Probe) await ctx.v13Probe;
      if (location.hash === hash) openAccount(ctx);
    });
    return;
  }
  if (hash !== '#/') { location.hash = '#/'; return; }
  openList(ctx, flash);
}

// Logging out leaves nothing of the user's text on the device (a shared
// computer is a common case): drafts not yet saved are deleted, after asking.
async function logout() {
  if (!ctx.user) return;
  const userId = ctx.user.id;
  const unsaved = listDrafts(userId).length;
  if (unsaved &&
      !window.confirm((unsaved === 1 ? '1 note has changes' : `${unsaved} notes have changes`) +
                      ' that are not saved yet. Logging out deletes them from this device. ' +
                      'Log out anyway?')) return;
  try {
    await api.logout();
  } catch (e) {
    if (!e.sessionExpired) {             // 401: the session was gone anyway
      announce('Not logged out: ' + describe(e));
      window.alert('Not logged out: ' + describe(e));
      return;
    }
  }
  logoutLocally();   // stops the editor and the resume loop: nothing writes a draft after this
  for (const { noteId } of listDrafts(userId)) removeDraft(userId, noteId);
  goLogin('You have logged out.');
}

// The account is gone, and with it every note: drafts of it have nowhere to go.
function accountDeleted() {
  const userId = ctx.user.id;
  logoutLocally();
  for (const { noteId } of listDrafts(userId)) removeDraft(userId, noteId);
  goLogin('Your account has been deleted, with all its notes. Thank you for using Finote.');
}

let bootRetry = null;   // the pending automatic retry of boot()
let bootAttempt = 0;

async function boot(attempt = 0) {
  clearTimeout(bootRetry);
  const status = $('boot-status');
  $('boot-retry').hidden = true;
  setText(status, 'Loading…');
  try {
    ctx.user = await api.me();
    showUser();
    ctx.probeV11();
    ctx.probeV12();
    ctx.probeV13();
  } catch (e) {
    if (e.status === 401) {
      let was = false;
      try { was = sessionStorage.getItem(WAS_LOGGED_IN) === '1'; } catch { /* private mode */ }
      try { sessionStorage.removeItem(WAS_LOGGED_IN); } catch { /* private mode */ }
      if (was) pendingNotice = EXPIRED;
    } else {
      // Server or network down: say so, and try again by itself.
      const delay = backoffDelay(attempt);
      setText(status, describe(e) + ` Trying again in ${Math.max(1, Math.round(delay / 1000))} s.`);
      $('boot-retry').hidden = false;
      bootAttempt = attempt + 1;
      bootRetry = setTimeout(() => boot(bootAttempt), delay);
      return;
    }
  }
  window.addEventListener('hashchange', route);
  route();
}

initAuth(ctx);
initList(ctx);
initEditor(ctx);
initHistory(ctx);
initTrash(ctx);
initAccount(ctx, { accountDeleted });
$('logout-btn').addEventListener('click', logout);
// The skip link must not touch the hash: that is the router's.
document.querySelector('.skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  const view = document.querySelector('.view:not([hidden])');
  (view && view.querySelector('h1') || $('main')).focus();
});
$('boot-retry').addEventListener('click', () => boot(bootAttempt));
showView('view-boot');
boot();
