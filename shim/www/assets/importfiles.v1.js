// importfiles: the files a user brings, read and converted in the browser
// into one document in the format GET /api/export writes, for
// POST /api/import (finote 1.3). The shim stays a mapping: it never sees
// another app's format.
//   - a Finote export (.json): taken as it is;
//   - a Simplenote export (.json): activeNotes become notes, trashedNotes the
//     trash; the first line is the title, the rest the text; tags kept,
//     "pinned" from systemTags, creationDate and lastModified as the times;
//   - Markdown or plain-text files (.md, .markdown, .txt), one note each: the
//     title is the first "# " heading (taken out of the text when it is the
//     first line), else the file name without its extension.
// Notes from Simplenote and from files get an id derived from where they
// came from (SHA-256 of the Simplenote id, or of the file name and text),
// so importing the same file again skips them instead of doubling them.
// Any file that is not what it claims to be stops everything with a
// message that names it: nothing is imported from a set with a bad file.

const MAX_FILE_BYTES = 256 * 1024 * 1024;   // beyond what the server takes in a whole import
const TITLE_MAX = 200;                      // a note's title, in characters (the server's limit)
const TEXT_FILE = /\.(md|markdown|txt|text)$/i;

export class ImportFileError extends Error {
  constructor(file, problem) {
    super(`“${file}” ${problem}`);
    this.name = 'ImportFileError';
  }
}

async function readText(file) {
  if (file.size > MAX_FILE_BYTES) {
    throw new ImportFileError(file.name, `is too large to import (over ${MAX_FILE_BYTES / 1024 / 1024} MB).`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ImportFileError(file.name, 'is not a text file in UTF-8, so it cannot be imported.');
  }
  if (text.includes('\u0000')) throw new ImportFileError(file.name, 'is not a text file, so it cannot be imported.');
  return text.replace(/^\uFEFF/, '');
}

// An id for a note that had none in Finote: a UUID (version 8, RFC 9562)
// made of the SHA-256 of its origin.
async function derivedId(origin) {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(origin))).slice(0, 16);
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = [...h].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// An ISO time from another app's value, or undefined (the server then uses now).
function isoTime(v) {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const t = typeof v === 'number' ? v * 1000 : Date.parse(v);   // Simplenote's API gives seconds
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
}

// Title and text from a text whose first line is the title; a first line
// too long for a title is cut there, and the text keeps it whole.
function splitFirstLine(text) {
  const nl = text.indexOf('\n');
  const first = (nl < 0 ? text : text.slice(0, nl)).trim();
  const rest = nl < 0 ? '' : text.slice(nl + 1).replace(/^(\s*\n)+/, '');
  if ([...first].length <= TITLE_MAX) return { title: first, content: rest };
  return { title: [...first].slice(0, TITLE_MAX - 1).join('') + '…', content: text };
}

const tagList = (tags) => [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStrings = (v) => Array.isArray(v) && v.every((t) => typeof t === 'string');

// Checks the parts of a Finote export the app relies on; the server checks
// the rest and names the part it refuses.
function checkFinote(name, doc) {
  if (doc.format_version !== 1) {
    throw new ImportFileError(name, `is a Finote export of format version ${JSON.stringify(doc.format_version)}, ` +
      'which this app does not know.');
  }
  for (const part of ['notes', 'trash']) {
    if (part === 'trash' && doc.trash === undefined) continue;
    if (!Array.isArray(doc[part])) throw new ImportFileError(name, `is not a complete Finote export: "${part}" is not a list.`);
    doc[part].forEach((n, i) => {
      const where = `${part === 'notes' ? 'note' : 'trash entry'} ${i + 1}`;
      const bad = !isObject(n) ? 'is not an object'
        : typeof n.id !== 'string' ? 'has no id'
        : typeof n.title !== 'string' ? 'has no title'
        : typeof n.content !== 'string' ? 'has no text'
        : n.tags !== undefined && n.tags !== null && !isStrings(n.tags) ? 'has tags that are not a list of words'
        : n.pinned !== undefined && typeof n.pinned !== 'boolean' ? 'has a pin that is not true or false'
        : n.revisions !== undefined && !Array.isArray(n.revisions) ? 'has a history that is not a list'
        : null;
      if (bad) throw new ImportFileError(name, `is not a valid Finote export: its ${where} ${bad}.`);
    });
  }
  return { notes: doc.notes, trash: doc.trash || [] };
}

async function fromSimplenote(name, doc) {
  const out = { notes: [], trash: [] };
  for (const [part, list] of [['notes', doc.activeNotes], ['trash', doc.trashedNotes]]) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new ImportFileError(name, 'is not a valid Simplenote export: a list of notes is not a list.');
    for (const [i, n] of list.entries()) {
      const bad = !isObject(n) ? 'is not an object'
        : typeof n.content !== 'string' ? 'has no content'
        : n.tags !== undefined && !isStrings(n.tags) ? 'has tags that are not a list of words'
        : n.systemTags !== undefined && !isStrings(n.systemTags) ? 'has systemTags that are not a list of words'
        : null;
      if (bad) throw new ImportFileError(name, `is not a valid Simplenote export: note ${i + 1} ${bad}.`);
      const { title, content } = splitFirstLine(n.content.replace(/\r\n?/g, '\n'));
      const updated = isoTime(n.lastModified);
      const note = {
        id: await derivedId('simplenote:' + (typeof n.id === 'string' && n.id ? n.id : n.content)),
        title, content,
        pinned: (n.systemTags || []).includes('pinned'),
        tags: tagList(n.tags || []),
        created_at: isoTime(n.creationDate) || updated,
        updated_at: updated,
      };
      if (part === 'trash') note.deleted_at = updated || new Date().toISOString();
      out[part].push(note);
    }
  }
  return out;
}

async function fromJson(file) {
  const text = await readText(file);
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ImportFileError(file.name, `is not valid JSON (${e.message}).`);
  }
  if (isObject(doc) && doc.format === 'finote-export') return checkFinote(file.name, doc);
  if (isObject(doc) && (doc.activeNotes !== undefined || doc.trashedNotes !== undefined)) return fromSimplenote(file.name, doc);
  throw new ImportFileError(file.name, 'is neither a Finote export nor a Simplenote export.');
}

async function fromTextFile(file) {
  const text = (await readText(file)).replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^# +\S/.test(l));
  let title = file.name.replace(/\.[^.]*$/, '');
  let content = text;
  if (at >= 0) {
    title = lines[at].replace(/^# +/, '').replace(/\s+#*\s*$/, '').trim();
    if (lines.slice(0, at).every((l) => !l.trim())) content = lines.slice(at + 1).join('\n').replace(/^(\s*\n)+/, '');
  }
  if ([...title].length > TITLE_MAX) title = [...title].slice(0, TITLE_MAX - 1).join('') + '…';
  const when = file.lastModified ? new Date(file.lastModified).toISOString() : undefined;
  return {
    notes: [{
      id: await derivedId('file:' + file.name + '\n' + text),
      title, content, pinned: false, tags: [], created_at: when, updated_at: when,
    }],
    trash: [],
  };
}

// files: a FileList or array of File. Resolves to {notes, trash}, or
// rejects with an ImportFileError naming the first bad file.
export async function readImport(files) {
  const all = { notes: [], trash: [] };
  for (const file of files) {
    let part;
    if (/\.json$/i.test(file.name)) part = await fromJson(file);
    else if (TEXT_FILE.test(file.name)) part = await fromTextFile(file);
    else throw new ImportFileError(file.name, 'cannot be imported: choose .json, .md, .markdown or .txt files.');
    all.notes.push(...part.notes);
    all.trash.push(...part.trash);
  }
  return all;
}
