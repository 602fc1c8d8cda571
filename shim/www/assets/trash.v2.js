// trash: deleted notes (finote 1.2), newest deletion first and paged; each
// can go back to the notes, or be deleted for good after a confirmation.
//   #/trash

import { api, describe, randomId } from './api.v3.js';
import { $, h, showView, setText, announce, when } from './dom.v2.js';

const PAGE = 20;
const state = { cursor: null, count: 0, seq: 0 };
let purging = null;   // {id, item}: the note the confirmation dialog is about

function snippet(text) {
  const s = (text || '').replace(/\s+/g, ' ').trim();
  return s.length > 140 ? s.slice(0, 139) + '…' : s;
}

function status() {
  setText('trash-status', state.count === 0 ? 'The trash is empty.'
    : (state.cursor ? 'Showing ' : '') + (state.count === 1 ? '1 deleted note.' : `${state.count} deleted notes.`));
}

function failed(ctx, e) {
  if (e.sessionExpired) { ctx.sessionExpired(); return; }
  setText('trash-error', describe(e));
}

// An item leaves the list: focus goes to its neighbour, not to nowhere.
function removeItem(item) {
  const next = item.nextElementSibling || item.previousElementSibling;
  item.remove();
  state.count--;
  status();
  const target = next && next.querySelector('button');
  (target || $('trash-title')).focus();
}

function trashItem(ctx, note) {
  const name = note.title || 'Untitled';
  const item = h('li', { class: 'note trashed' });
  // Each button's name is its text and the note's title ("Restore Shopping").
  const ids = { title: 'trash-' + note.id, restore: 'trash-restore-' + note.id, purge: 'trash-purge-' + note.id };
  const restore = h('button', { type: 'button', class: 'btn', id: ids.restore,
    'aria-labelledby': `${ids.restore} ${ids.title}` }, 'Restore');
  const purge = h('button', { type: 'button', class: 'btn btn-danger', id: ids.purge,
    'aria-labelledby': `${ids.purge} ${ids.title}` }, 'Delete for good…');
  let restoreKey = null;
  restore.addEventListener('click', async () => {
    if (restore.getAttribute('aria-busy')) return;
    restore.setAttribute('aria-busy', 'true');
    setText('trash-error', '');
    // One key per restore until it is answered: pressing Restore again after
    // a lost answer repeats the same restore (finote 1.3), it does not make another.
    restoreKey = restoreKey || randomId();
    try {
      await api.restoreFromTrash(note.id, restoreKey);
    } catch (e) {
      restore.removeAttribute('aria-busy');
      if (!e.retryable) restoreKey = null;
      failed(ctx, e);
      return;
    }
    removeItem(item);
    announce(`“${name}” is back in your notes.`);
  });
  purge.addEventListener('click', () => {
    purging = { id: note.id, item };
    setText('confirm-purge-text', `“${name}” and its history will be deleted for good. This cannot be undone.`);
    const dialog = $('confirm-purge');
    dialog.returnValue = '';
    dialog.showModal();
    $('purge-cancel').focus();
  });
  const meta = h('p', { class: 'note-meta' });
  for (const t of note.tags || []) meta.append(h('span', { class: 'badge badge-tag' }, '#' + t));
  meta.append(h('time', { datetime: note.deleted_at, title: new Date(note.deleted_at).toLocaleString() },
    'Deleted ' + when(note.deleted_at)));
  item.append(h('div', { class: 'note-box' },
    h('h2', { class: 'note-title' + (note.title ? '' : ' untitled'), id: ids.title }, name),
    note.content ? h('p', { class: 'note-snippet' }, snippet(note.content)) : null,
    meta,
    h('div', { class: 'item-actions' }, restore, purge)));
  return item;
}

async function load(ctx, append) {
  const seq = ++state.seq;
  setText('trash-error', '');
  $('trash-retry').hidden = true;
  if (!append) setText('trash-status', 'Loading…');
  let page;
  try {
    page = await api.trash({ cursor: append ? state.cursor : null, limit: PAGE });
  } catch (e) {
    if (seq !== state.seq) return;
    setText('trash-status', '');
    $('trash-retry').hidden = !e.retryable;
    failed(ctx, e);
    return;
  }
  if (seq !== state.seq) return;
  const list = $('trash-notes');
  if (!append) { list.replaceChildren(); state.count = 0; }
  const items = (page.notes || []).map((n) => trashItem(ctx, n));
  list.append(...items);
  state.count += items.length;
  state.cursor = page.next_cursor || null;
  $('trash-more').hidden = !state.cursor;
  status();
  if (append && items.length) items[0].querySelector('button').focus();
}

export function openTrash(ctx) {
  document.title = 'Trash · Finote';
  $('trash-notes').replaceChildren();
  $('trash-more').hidden = true;
  state.cursor = null;
  showView('view-trash');
  load(ctx, false);
}

export function initTrash(ctx) {
  $('trash-more').addEventListener('click', () => load(ctx, true));
  $('trash-retry').addEventListener('click', () => load(ctx, state.count > 0));
  const dialog = $('confirm-purge');
  dialog.addEventListener('close', async () => {
    const target = purging;
    purging = null;
    if (!target || !target.item.isConnected) return;
    if (dialog.returnValue !== 'delete') {
      target.item.querySelector('.btn-danger').focus();
      return;
    }
    setText('trash-error', '');
    try {
      await api.deleteFromTrash(target.id);
    } catch (e) {
      if (e.code !== 'not_found') { failed(ctx, e); return; }   // already gone: the list catches up
    }
    removeItem(target.item);
    announce('Deleted for good.');
  });
}
