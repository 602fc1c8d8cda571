// editor: create and edit one note. Every keystroke goes to a localStorage
// draft at once; a second after typing stops (or on Save / Ctrl+S) the text
// goes to the server. When the network or the database blips, the Saver keeps
// the draft and retries with backoff, and the screen says so.
// On a finote 1.2 server every save says which version of the note the text
// was written on (If-Match); when the note changed elsewhere meanwhile (412)
// the editor shows both texts and the user keeps theirs, the saved one, or
// both. The draft stays until the chosen text is saved. On a finote 1.3
// server a create goes with an Idempotency-Key kept in the draft
// (notesync), and every save names this tab as its writer (api).

import { api, describe } from './api.v3.js';
import { $, h, showView, setText, fieldError, clearErrors, debounce, when } from './dom.v2.js';
import { loadDraft, saveDraft, removeDraft, sameAsNote } from './drafts.v3.js';
import { pushDraft, stopResume, noteFields, createFromDraft } from './notesync.v3.js';
import { Saver } from './saver.v2.js';

const AUTOSAVE_MS = 1000;
let current = null;   // the open editor session, or null

// "work, Ideas ,work" -> ["ideas", "work"], or {error}
export function parseTags(text) {
  const tags = [];
  for (const raw of text.split(',')) {
    const t = raw.trim().toLowerCase();
    if (!t) continue;
    if ([...t].length > 32) return { error: `The tag “${t.slice(0, 40)}” is longer than 32 characters.` };
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(t)) return { error: 'Tags cannot contain control characters.' };
    if (!tags.includes(t)) tags.push(t);
  }
  if (tags.length > 20) return { error: 'A note can have at most 20 tags.' };
  return { tags: tags.sort() };
}

function readForm(ctx) {
  const p = { title: $('note-title').value, content: $('note-content').value };
  if (ctx.v11) {
    p.pinned = $('note-pinned').checked;
    const parsed = parseTags($('note-tags').value);
    if (parsed.error) return { payload: p, tagError: parsed.error };
    p.tags = parsed.tags;
  }
  return { payload: p };
}

function fillForm(ctx, data) {
  $('note-title').value = data.title || '';
  $('note-content').value = data.content || '';
  $('note-pinned').checked = !!data.pinned;
  $('note-tags').value = Array.isArray(data.tags) ? data.tags.join(', ') : '';
  $('editor-v11').hidden = !ctx.v11;
}

const tagLine = (note) => (Array.isArray(note.tags) && note.tags.length ? 'Tags: ' + note.tags.join(', ') : '');

// One side of a conflict: its title and text, as text.
function showSide(side, note) {
  const name = $(`conflict-${side}-title`);
  setText(name, note.title || 'Untitled');
  name.classList.toggle('untitled', !note.title);
  setText(`conflict-${side}-content`, note.content || '');
}

const isEmpty = (p) => !p.title && !p.content && !(p.tags && p.tags.length) && !p.pinned;

// Which input a 400 from the server is about, from its message.
function fieldFor(message) {
  const m = (message || '').toLowerCase();
  if (m.includes('tag')) return 'note-tags';
  if (m.includes('title')) return 'note-title';
  if (m.includes('content') || m.includes('text')) return 'note-content';
  return null;
}

class EditorSession {
  constructor(ctx, noteId) {
    this.ctx = ctx;
    this.noteId = noteId;
    this.baseUpdatedAt = null;
    this.baseVersion = undefined;  // the server's version this text builds on (1.2)
    this.conflict = null;          // the server's note while the user chooses
    this.resolving = false;        // "Keep both" is creating the new note
    this.closed = false;
    this.state = 'clean';
    this.autosave = debounce(() => this.saveNow(false), AUTOSAVE_MS);
    this.saver = new Saver((payload) => this.push(payload), (s, info) => this.onSaveState(s, info));
  }

  get userId() { return this.ctx.user.id; }

  async push(payload) {
    let note;
    try {
      note = await pushDraft(this.userId, this.noteId, { ...payload, base_version: this.baseVersion });
    } catch (e) {
      // The note was made, its newest text not saved yet: edit that note now.
      if (e.createdNote && !this.closed && e.createdNote.id !== this.noteId) {
        this.becomes(e.createdNote);
        this.baseUpdatedAt = e.createdNote.updated_at;
        this.baseVersion = e.createdNote.version;
      }
      throw e;
    }
    if (this.closed) return note;
    if (note.id !== this.noteId) {          // just created (or re-created)
      this.becomes(note);
      if (note.recreated) {
        setText('editor-notice', 'This note had been deleted elsewhere, so your text was saved as a new note.');
      }
    }
    this.baseUpdatedAt = note.updated_at;
    this.baseVersion = note.version;
    return note;
  }

  // The editor now edits `note` (just created), under its own address.
  becomes(note) {
    this.noteId = note.id;
    history.replaceState(null, '', '#/note/' + note.id);
    setText('editor-title', 'Edit note');
    $('delete-btn').hidden = false;
    showNoteLinks(this);
  }

  // The note changed elsewhere since this text's version: show both texts.
  showConflict(theirs) {
    this.conflict = theirs;
    const { payload } = readForm(this.ctx);
    showSide('mine', payload);
    setText('conflict-mine-tags', this.ctx.v11 ? tagLine(payload) : '');
    showSide('theirs', theirs);
    setText('conflict-theirs-tags', this.ctx.v11 ? tagLine(theirs) : '');
    setText('conflict-theirs-when', 'Saved ' + when(theirs.updated_at) + ' from another tab or device.');
    setText('conflict-error', '');
    $('editor-form').hidden = true;
    $('conflict').hidden = false;
    setText('save-status', '');
    $('conflict-heading').focus();
  }

  hideConflict() {
    this.conflict = null;
    $('conflict').hidden = true;
    $('editor-form').hidden = false;
  }

  // The user's choice on a conflict: 'mine', 'theirs' or 'both'.
  async resolve(choice) {
    const theirs = this.conflict;
    if (!theirs || this.resolving) return;
    if (choice === 'mine') {               // save this text again, on the newest version
      this.baseVersion = theirs.version;
      this.baseUpdatedAt = theirs.updated_at;
      this.hideConflict();
      this.saveNow(true);
      $('note-content').focus();
      return;
    }
    if (choice === 'theirs') {             // nothing to save: the draft goes
      this.saver.drop();
      removeDraft(this.userId, this.noteId);
      this.baseVersion = theirs.version;
      this.baseUpdatedAt = theirs.updated_at;
      fillForm(this.ctx, theirs);
      this.hideConflict();
      setText('editor-notice', 'You kept the saved text; yours was discarded.');
      setText('save-status', 'Saved ' + when(theirs.updated_at) + '.');
      $('note-content').focus();
      return;
    }
    // Both: this text becomes a new note; the original keeps the saved text.
    // The draft goes only once the new note exists.
    const { payload } = readForm(this.ctx);   // tags not valid yet: the new note has none
    const original = this.noteId;
    this.resolving = true;
    $('conflict-keep-both').setAttribute('aria-busy', 'true');
    let note;
    try {
      note = await createFromDraft(this.userId, original, noteFields(payload));
    } catch (e) {
      if (this.closed) return;
      if (e.sessionExpired) { this.ctx.sessionExpired(); return; }
      setText('conflict-error', 'Not saved: ' + describe(e) + ' Your text is kept on this device.');
      return;
    } finally {
      this.resolving = false;
      $('conflict-keep-both').removeAttribute('aria-busy');
    }
    this.saver.drop();
    removeDraft(this.userId, original);
    if (this.closed) return;
    this.baseVersion = note.version;
    this.baseUpdatedAt = note.updated_at;
    this.becomes(note);
    this.hideConflict();
    const notice = $('editor-notice');
    notice.replaceChildren('Your text is now a new note (this one). The saved text stays in ',
      h('a', { href: '#/note/' + encodeURIComponent(original) }, 'the original note'), '.');
    notice.hidden = false;
    setText('save-status', 'Saved ' + when(note.updated_at) + '.');
    $('note-content').focus();
  }

  onSaveState(state, info) {
    if (this.closed) return;
    this.state = state;
    $('retry-btn').hidden = state !== 'retrying';
    const status = $('save-status');
    status.className = 'save-status ' + state;
    switch (state) {
      case 'saving':
        setText(status, 'Saving…');
        break;
      case 'saved':
        setText('editor-error', '');
        // Typed on since this was sent? Then the autosave timer is running.
        setText(status, this.autosave.pending() ? 'Not saved yet.' : 'Saved ' + when(info.note.updated_at) + '.');
        break;
      case 'retrying': {
        const s = Math.max(1, Math.round(info.delayMs / 1000));
        setText(status, `Not saved yet, retrying in ${s} s. ${describe(info.error)} Your text is kept on this device.`);
        break;
      }
      case 'expired':
        // The draft is in localStorage; after logging in the editor restores it.
        this.ctx.sessionExpired();
        break;
      case 'conflict':
        if (info.error.note) this.showConflict(info.error.note);
        else setText('editor-error', describe(info.error));
        break;
      case 'failed': {
        const msg = describe(info.error);
        const field = info.error.code === 'invalid_input' ? fieldFor(info.error.serverMessage) : null;
        if (field) fieldError(field, msg);
        else setText('editor-error', msg);
        setText(status, 'Not saved: ' + msg + ' Your text is kept on this device.');
        break;
      }
    }
  }

  // On every change: keep the draft, then save soon.
  onInput() {
    clearErrors($('editor-form'));
    const { payload, tagError } = readForm(this.ctx);
    if (!this.noteId && isEmpty(payload)) {
      removeDraft(this.userId, null);
      this.autosave.cancel();
      setText('save-status', '');
      return;
    }
    saveDraft(this.userId, this.noteId, { ...payload, base_version: this.baseVersion, base_updated_at: this.baseUpdatedAt });
    if (tagError) { fieldError('note-tags', tagError); this.autosave.cancel(); return; }
    if (this.state !== 'retrying') setText('save-status', 'Not saved yet.');
    this.autosave();
  }

  // Save button, Ctrl+S, or the autosave timer.
  saveNow(explicit) {
    this.autosave.cancel();
    if (this.conflict) return;             // the user chooses first
    const { payload, tagError } = readForm(this.ctx);
    if (tagError) { fieldError('note-tags', tagError); if (explicit) $('note-tags').focus(); return; }
    if (!this.noteId && isEmpty(payload)) {
      if (explicit) setText('save-status', 'Nothing to save yet: type a title or some text.');
      return;
    }
    saveDraft(this.userId, this.noteId, { ...payload, base_version: this.baseVersion, base_updated_at: this.baseUpdatedAt });
    this.saver.request(payload);
    if (explicit) this.saver.retryNow();
  }

  close() {
    if (this.closed) return;
    // Anything typed in the last second is in the draft; resumeDrafts() saves it.
    this.autosave.cancel();
    this.saver.stop();
    this.closed = true;
  }
}

// History (finote 1.2) for a note the server has.
function showNoteLinks(session) {
  const link = $('history-link');
  link.hidden = !(session.ctx.v12 && session.noteId);
  if (session.noteId) link.href = '#/note/' + encodeURIComponent(session.noteId) + '/history';
}

export async function openEditor(ctx, noteId) {
  closeEditor();
  stopResume();   // this screen saves its own note; avoid two creators of one new note
  const session = new EditorSession(ctx, noteId);
  current = session;
  const form = $('editor-form');
  clearErrors(form);
  $('conflict').hidden = true;
  showNoteLinks(session);
  setText('editor-notice', '');
  setText('save-status', '');
  $('save-status').className = 'save-status';
  $('retry-btn').hidden = true;
  $('delete-btn').hidden = !noteId;
  setText('editor-title', noteId ? 'Edit note' : 'New note');
  fillForm(ctx, {});
  form.hidden = !!noteId;   // until the note is loaded

  let restored = null;
  if (noteId) {
    showView('view-editor');
    setText('save-status', 'Loading…');
    const draft = loadDraft(ctx.user.id, noteId);
    let note = null;
    try {
      note = await api.getNote(noteId);
    } catch (e) {
      if (session !== current) return;
      if (e.sessionExpired) { ctx.sessionExpired(); return; }
      setText('save-status', '');
      if (!draft) {
        setText('editor-error', describe(e));
        form.hidden = false;
        $('note-title').disabled = $('note-content').disabled = true;
        $('save-btn').disabled = true;
        $('delete-btn').hidden = true;
        session.loadFailed = true;
        $('retry-btn').hidden = e.code === 'not_found';   // "Retry now" loads again
        $('editor-back').focus();
        return;
      }
      // Offline, but this device has the newest text: show it and keep retrying.
      restored = draft;
      setText('editor-notice', describe(e) + ' Showing the unsaved text kept on this device.');
    }
    if (session !== current) return;
    $('note-title').disabled = $('note-content').disabled = false;
    $('save-btn').disabled = false;
    form.hidden = false;
    if (note) {
      session.baseUpdatedAt = note.updated_at;
      session.baseVersion = note.version;
      if (draft && !sameAsNote(draft, note)) {
        restored = draft;
        // Saved on the version it was written on: if the note changed since
        // (another tab or device), the save meets a conflict, not newer text.
        // A draft from before 1.2 has only the time of its base: a different
        // time is a change, and version 0 matches none (412).
        if (Number.isSafeInteger(draft.base_version)) session.baseVersion = draft.base_version;
        else if (Number.isSafeInteger(note.version) && draft.base_updated_at !== note.updated_at) session.baseVersion = 0;
        setText('editor-notice', 'Restored changes made on this device that were not saved yet.');
      } else if (draft) {
        removeDraft(ctx.user.id, noteId);
      }
      fillForm(ctx, restored || note);
      setText('save-status', restored ? '' : 'Saved ' + when(note.updated_at) + '.');
    } else {
      fillForm(ctx, restored);
      session.baseVersion = restored.base_version;
    }
    $('editor-title').focus();
  } else {
    $('note-title').disabled = $('note-content').disabled = false;
    $('save-btn').disabled = false;
    const draft = loadDraft(ctx.user.id, null);
    if (draft && !isEmpty(draft)) {
      restored = draft;
      fillForm(ctx, draft);
      setText('editor-notice', 'Restored a new note you started on this device.');
    }
    showView('view-editor', $('note-title'));
  }
  if (restored) session.saveNow(false);
}

// The probe for 1.2 may answer after the editor opened.
export function showEditorLinks() {
  if (current) showNoteLinks(current);
}

export function closeEditor() {
  if (current) current.close();
  current = null;
}

export function initEditor(ctx) {
  const form = $('editor-form');
  form.addEventListener('input', () => current && current.onInput());
  form.addEventListener('change', (e) => {
    if (current && e.target.type === 'checkbox') current.onInput();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (current) current.saveNow(true);
  });
  $('retry-btn').addEventListener('click', () => {
    if (!current) return;
    if (current.loadFailed) openEditor(ctx, current.noteId);
    else current.saver.retryNow();
  });
  // Ctrl+S / Cmd+S saves at once instead of saving the web page.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 's' && current && !$('view-editor').hidden) {
      e.preventDefault();
      current.saveNow(true);
    }
  });

  const dialog = $('confirm-delete');
  $('delete-btn').addEventListener('click', () => {
    if (!current || !current.noteId) return;
    const title = $('note-title').value.trim();
    // 1.2 moves a deleted note to the trash; older servers delete it.
    setText('confirm-delete-text', (title ? `“${title}”` : 'This untitled note') + (ctx.v12
      ? ' will be moved to the trash. You can restore it from there, or delete it for good.'
      : ' will be deleted for good. This cannot be undone.'));
    setText('confirm-ok', ctx.v12 ? 'Move to trash' : 'Delete');
    dialog.returnValue = '';
    dialog.showModal();
    $('confirm-cancel').focus();
  });
  $('conflict-keep-mine').addEventListener('click', () => current && current.resolve('mine'));
  $('conflict-keep-theirs').addEventListener('click', () => current && current.resolve('theirs'));
  $('conflict-keep-both').addEventListener('click', () => current && current.resolve('both'));

  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'delete' || !current) { $('delete-btn').focus(); return; }
    const session = current;
    const id = session.noteId;
    session.close();
    removeDraft(ctx.user.id, id);
    $('delete-btn').disabled = true;
    setText('save-status', 'Deleting…');
    try {
      await api.deleteNote(id, session.baseVersion);
    } catch (e) {
      if (e.code !== 'not_found') {
        $('delete-btn').disabled = false;
        if (e.sessionExpired) { ctx.sessionExpired(); return; }
        setText('save-status', '');
        setText('editor-error', 'Not deleted: ' + describe(e));
        // Reopen a live editor on the same note so nothing typed is lost; on
        // a 412 (changed elsewhere) it shows this text beside the newer one.
        const { payload } = readForm(ctx);
        saveDraft(ctx.user.id, id, { ...payload, base_version: session.baseVersion, base_updated_at: session.baseUpdatedAt });
        await openEditor(ctx, id);
        setText('editor-error', 'Not deleted: ' + describe(e));
        return;
      }
    }
    $('delete-btn').disabled = false;
    current = null;
    ctx.flash(ctx.v12 ? 'Note moved to the trash.' : 'Note deleted.');
    location.hash = '#/';
  });
}
