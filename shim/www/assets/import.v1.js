// import: "Import notes" on the account screen (finote 1.3). The chosen
// files become one document in the export format in the browser
// (importfiles), which goes to POST /api/import in batches, each with its
// own Idempotency-Key (kept for that batch's retries), with progress shown
// and a summary at the end: imported, skipped as already there, given a new
// id, refused and why (a note the server finds malformed is left out of its
// batch, which is sent again without it). Importing the same files again is
// safe: the server skips notes it already has.

import { api, describe, pleaseWait, randomId } from './api.v3.js';
import { $, h, setText, fieldError, announce } from './dom.v2.js';
import { readImport, ImportFileError } from './importfiles.v1.js';
import { backoffDelay } from './saver.v2.js';

// A batch: at most this many notes, and about this many bytes of JSON (a
// single larger note goes alone), well under the server's cap.
const BATCH_NOTES = 500;
const BATCH_BYTES = 4 * 1024 * 1024;
const TRIES = 6;                  // per batch, when the network or the server blips
const WAIT_MAX_S = 120;           // the longest Retry-After waited for by itself

let importing = false;

const plural = (n, one, many) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

// A note in the export format in full: what another app's notes (or an
// older export) lack gets Finote's defaults, since the server refuses a
// document with a field missing.
function complete(note, part) {
  const updated = note.updated_at || note.created_at || new Date().toISOString();
  const full = {
    ...note,
    pinned: note.pinned ?? false,
    tags: note.tags ?? [],
    version: note.version ?? 1,
    created_at: note.created_at || updated,
    updated_at: updated,
  };
  if (part === 'trash') full.deleted_at = note.deleted_at || updated;
  return full;
}

// [{doc, items}]: items are the notes of the batch in the order the server
// counts them (notes, then the trash), for its "index".
function batches({ notes, trash }) {
  const out = [];
  let cur = null;
  let bytes = 0;
  for (const [part, note] of [...notes.map((n) => ['notes', complete(n, 'notes')]),
    ...trash.map((n) => ['trash', complete(n, 'trash')])]) {
    const size = JSON.stringify(note).length;
    if (!cur || cur.items.length >= BATCH_NOTES || (cur.items.length && bytes + size > BATCH_BYTES)) {
      cur = { doc: { format: 'finote-export', format_version: 1, notes: [], trash: [] }, items: [] };
      out.push(cur);
      bytes = 0;
    }
    cur.doc[part].push(note);
    bytes += size;
  }
  for (const b of out) b.items = [...b.doc.notes, ...b.doc.trash];
  return out;
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

// One batch, with its key, until it is answered: the network or a busy
// server gets a few more tries with the same key.
async function sendBatch(batch, onWait) {
  const key = randomId();
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.importNotes(batch.doc, key);
    } catch (e) {
      const busy = e.status === 429 && e.retryAfter !== null && e.retryAfter <= WAIT_MAX_S;
      if (attempt + 1 >= TRIES || !(e.retryable || busy)) throw e;
      const ms = busy ? e.retryAfter * 1000 : backoffDelay(attempt);
      onWait(e, ms);
      await wait(ms);
    }
  }
}

// A batch until it is answered, less the notes the server refuses: a
// malformed note is a 400 naming its part ("notes[3].title: ..."), with
// nothing of the batch imported; that note leaves the batch, refused with
// the server's words, and the rest is sent again (another body: another
// key). Other errors end the import.
async function sendRefusing(batch, onWait, refused) {
  for (;;) {
    try {
      return await sendBatch(batch, onWait);
    } catch (e) {
      const part = e.status === 400 && /^(notes|trash)\[(\d+)\]/.exec(e.serverMessage);
      const at = part ? Number(part[2]) : -1;
      const index = part && (part[1] === 'trash' ? batch.doc.notes.length : 0) + at;
      if (!part || !batch.items[index]) throw e;
      refused.push({ title: batch.items[index].title, error: e.serverMessage.replace(/^(notes|trash)\[\d+\]\.?/, '') });
      batch.doc[part[1]].splice(at, 1);
      batch.items.splice(index, 1);
      if (!batch.items.length) return { imported: 0, skipped: 0, renamed: 0, refused: [] };
    }
  }
}

function showProgress(done, total) {
  const bar = $('import-progress');
  bar.hidden = false;
  bar.max = total;
  bar.value = done;
  setText('import-status', `Importing… ${done.toLocaleString()} of ${plural(total, 'note', 'notes')} done.`);
}

function showSummary(totals, refused, stopped) {
  const lines = [
    plural(totals.imported, 'note imported', 'notes imported') + '.',
    plural(totals.skipped, 'note skipped', 'notes skipped') + ': already in your notes.',
  ];
  if (totals.renamed) {
    lines.push(plural(totals.renamed, 'note', 'notes') + ' got a new id, since ' +
      (totals.renamed === 1 ? 'its id belongs' : 'their ids belong') + ' to another account.');
  }
  lines.push(plural(refused.length, 'note refused', 'notes refused') + (refused.length ? ':' : '.'));
  const list = $('import-summary-list');
  list.replaceChildren(...lines.map((l) => h('li', {}, l)));
  $('import-refused').replaceChildren(...refused.map((r) => h('li', {}, `“${r.title || 'Untitled'}”: ${r.error}`)));
  $('import-refused').hidden = !refused.length;
  setText('import-summary-title', stopped ? 'Import stopped' : 'Import finished');
  $('import-summary').hidden = false;
  $('import-summary-title').focus();
}

async function runImport(ctx) {
  if (importing) return;
  const input = $('import-files');
  fieldError('import-files', '');
  setText('import-error', '');
  $('import-summary').hidden = true;
  if (!input.files.length) {
    fieldError('import-files', 'Choose one or more files to import.');
    input.focus();
    return;
  }
  importing = true;
  const button = $('import-btn');
  button.setAttribute('aria-busy', 'true');
  input.disabled = true;
  setText('import-status', 'Reading your files…');
  const totals = { imported: 0, skipped: 0, renamed: 0 };
  const refused = [];
  let done = 0;
  try {
    let all;
    try {
      all = await readImport([...input.files]);
    } catch (e) {
      setText('import-status', '');
      const msg = e instanceof ImportFileError ? e.message + ' Nothing was imported.'
        : 'The files could not be read. Nothing was imported.';
      fieldError('import-files', msg);
      announce(msg);
      input.focus();
      return;
    }
    const total = all.notes.length + all.trash.length;
    if (!total) {
      setText('import-status', 'There are no notes in these files: nothing to import.');
      return;
    }
    showProgress(0, total);
    for (const batch of batches(all)) {
      const size = batch.items.length;
      let answer;
      try {
        answer = await sendRefusing(batch, (e, ms) => setText('import-status',
          `Importing… ${done.toLocaleString()} of ${plural(total, 'note', 'notes')} done. ` +
          (e.status === 429 ? 'Finote is busy' : describe(e)) + ` Trying again in ${Math.max(1, Math.round(ms / 1000))} s.`),
        refused);
      } catch (e) {
        if (e.sessionExpired) { ctx.sessionExpired(); return; }
        const why = e.status === 429 ? 'Too many imports at once. ' + pleaseWait(e) : describe(e);
        setText('import-status', '');
        setText('import-error', `The import stopped: ${why} ` + (done
          ? `${plural(done, 'note was', 'notes were')} handled before it stopped; importing the same files again is ` +
            'safe, the notes already there are skipped.'
          : 'Nothing was imported.'));
        if (done) showSummary(totals, refused, true);
        return;
      }
      totals.imported += answer.imported || 0;
      totals.skipped += answer.skipped || 0;
      totals.renamed += answer.renamed || 0;
      for (const r of answer.refused || []) {
        const note = batch.items.find((n) => r.id && n.id === r.id) || batch.items[r.index];
        refused.push({ title: note && note.title, error: String(r.error || 'refused') });
      }
      done += size;
      showProgress(done, total);
    }
    setText('import-status', 'Import finished.');
    input.value = '';
    showSummary(totals, refused, false);
    announce(`Import finished: ${plural(totals.imported, 'note', 'notes')} imported, ${totals.skipped.toLocaleString()} ` +
      `skipped, ${refused.length.toLocaleString()} refused.`);
  } finally {
    importing = false;
    input.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// The account screen opens: Import only on a server that has it.
export function openImport(ctx) {
  $('import-part').hidden = !ctx.v13;
  fieldError('import-files', '');
  setText('import-error', '');
  if (!importing) {
    setText('import-status', '');
    $('import-progress').hidden = true;
    $('import-summary').hidden = true;
  }
}

export function initImport(ctx) {
  $('import-btn').addEventListener('click', () => runImport(ctx));
  $('import-files').addEventListener('change', () => fieldError('import-files', ''));
}
