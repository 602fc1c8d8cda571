// Import notes (finote 1.3) on the account screen, checked against what the
// server then holds: a Finote export of one account into a fresh account,
// twice (the second changes nothing); a Simplenote export and three Markdown
// files (fixtures/); a malformed file, which imports nothing; axe on the
// screen; and an older server, where the app offers no import and sends no
// Idempotency-Key and no writer.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, register, apiCall, apiCreateNotes,
  checkScreen, startOlderServer, createNote, openNote, openAccount,
} from './lib.mjs';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Every request to /api/import the page sends: [method, Idempotency-Key].
function watchImports(page) {
  const sent = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/import')) sent.push([r.method(), r.headers()['idempotency-key']]); });
  return sent;
}

async function importFiles(page, files) {
  await page.getByLabel('Files to import').setInputFiles(files);
  await page.getByRole('button', { name: 'Import notes' }).click();
}

async function finished(page) {
  await page.getByRole('heading', { name: 'Import finished' }).waitFor({ timeout: 60_000 });
  return page.locator('#import-summary').textContent();
}

async function exported(page) {
  const r = await apiCall(page, 'GET', '/api/export');
  assert.equal(r.status, 200, 'GET /api/export');
  return r.json;
}

// A note as the comparison sees it: everything but its id and version.
const content = ({ title, content: text, pinned, tags, created_at, updated_at, deleted_at }) =>
  ({ title, content: text, pinned, tags, created_at, updated_at, deleted_at });
const byText = (a, b) => (a.title + a.content < b.title + b.content ? -1 : 1);

test('a Finote export of one account imported into a fresh account, twice: every note, tag, pin and trash entry, once', async () => {
  const source = await newPage(browser);
  await register(source, uniqueName('imp_src'));
  const notes = await apiCreateNotes(source, [
    { title: 'Pinned plan', content: 'the plan', pinned: true, tags: ['work', 'plans'] },
    { title: 'Plain note', content: 'nothing special' },
    { title: 'Tagged', content: 'with a tag', tags: ['ideas'] },
    { title: 'Goes to the trash', content: 'deleted later', tags: ['old'] },
    { title: '', content: 'a note without a title' },
  ]);
  assert.equal((await apiCall(source, 'PATCH', '/api/notes/' + notes[1].id, { body: { content: 'changed once' } })).status, 200);
  assert.equal((await apiCall(source, 'DELETE', '/api/notes/' + notes[3].id)).status, 204);
  const doc = await exported(source);
  assert.equal(doc.notes.length, 4);
  assert.equal(doc.trash.length, 1);

  const page = await newPage(browser);
  await register(page, uniqueName('imp_dst'));
  const sent = watchImports(page);
  await openAccount(page);
  const file = { name: 'finote-export.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) };
  await importFiles(page, file);
  await finished(page);
  await shot(page, 'import-finished');
  const after1 = await exported(page);
  assert.deepEqual(after1.notes.map(content).sort(byText), doc.notes.map(content).sort(byText), 'every note, equal');
  assert.deepEqual(after1.trash.map(content), doc.trash.map(content), 'the trash entry, equal');

  await importFiles(page, file);
  const second = await finished(page);
  assert.match(second, /0 notes imported/);
  assert.match(second, /5 notes skipped: already in your notes/);
  const after2 = await exported(page);
  assert.deepEqual(after2.notes.map((n) => [n.id, n.version]).sort(), after1.notes.map((n) => [n.id, n.version]).sort(),
    'the second import changed nothing');
  assert.equal(after2.trash.length, 1, 'no second trash entry');
  assert.equal(sent.length, 2, 'one batch each time');
  assert.ok(sent.every(([m, key]) => m === 'POST' && /^[A-Za-z0-9_-]{22}$/.test(key)), 'each batch with a key');
  assert.notEqual(sent[0][1], sent[1][1], 'each batch its own key');
  assertNoProblems(page);
  await source.context().close();
  await page.context().close();
});

test('a Simplenote export and three Markdown files', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('imp_sn'));
  await openAccount(page);
  await importFiles(page, ['simplenote.json', 'markdown/books.md', 'markdown/todo.md', 'markdown/pancakes.markdown']
    .map((f) => path.join(FIXTURES, f)));
  assert.match(await finished(page), /6 notes imported/, 'five notes and one in the trash');
  const doc = await exported(page);
  const got = Object.fromEntries(doc.notes.map((n) => [n.title, n]));
  assert.deepEqual(Object.keys(got).sort(),
    ['Ideas for the garden', 'Reading list', 'Recipe: pancakes', 'Shopping list', 'todo']);
  assert.deepEqual([got['Shopping list'].content, got['Shopping list'].pinned, got['Shopping list'].tags],
    ['milk\neggs\nbread', true, ['errands', 'home']]);
  assert.equal(got['Shopping list'].created_at.slice(0, 19), '2019-03-04T10:20:30');
  assert.equal(got['Shopping list'].updated_at.slice(0, 19), '2020-01-02T08:09:10');
  assert.deepEqual([got['Ideas for the garden'].content, got['Ideas for the garden'].pinned],
    ['Tomatoes by the wall.\nBeans on the fence.', false]);
  assert.equal(got['Reading list'].content, '- The Dispossessed\n- Middlemarch\n', 'the title heading leaves the text');
  assert.equal(got.todo.content, readFileSync(path.join(FIXTURES, 'markdown/todo.md'), 'utf8'), 'no heading: the file name');
  assert.equal(got['Recipe: pancakes'].content, readFileSync(path.join(FIXTURES, 'markdown/pancakes.markdown'), 'utf8'),
    'a heading further down names the note, the text stays whole');
  assert.deepEqual(doc.trash.map((n) => [n.title, n.content, n.tags]), [['Old draft', 'not needed any more', ['old']]]);

  // The same files again: nothing doubled.
  await importFiles(page, [path.join(FIXTURES, 'simplenote.json'), path.join(FIXTURES, 'markdown/books.md')]);
  assert.match(await finished(page), /4 notes skipped/);
  assert.equal((await exported(page)).notes.length, 5);
  assertNoProblems(page);
  await page.context().close();
});

test('a malformed file: a clear message, and nothing is imported', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('imp_bad'));
  const sent = watchImports(page);
  await openAccount(page);
  await importFiles(page, [path.join(FIXTURES, 'markdown/books.md'), path.join(FIXTURES, 'malformed.json')]);
  await waitText(page.locator('#import-files-error'), /^“malformed\.json” is not valid JSON \(.+\)\. Nothing was imported\.$/);
  assert.equal(await page.getByLabel('Files to import').getAttribute('aria-invalid'), 'true');
  await shot(page, 'import-malformed');
  await checkScreen(page, 'import error');
  // Not JSON at all, and a JSON file of no known kind.
  await importFiles(page, { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
  await waitText(page.locator('#import-files-error'), '“photo.png” cannot be imported');
  await importFiles(page, { name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"items": []}') });
  await waitText(page.locator('#import-files-error'), '“other.json” is neither a Finote export nor a Simplenote export.');
  assert.deepEqual(sent, [], 'nothing was sent');
  assert.deepEqual((await exported(page)).notes, [], 'no note');
  assertNoProblems(page);
  await page.context().close();
});

test('the import screen passes axe, with its progress and summary', async () => {
  for (const scheme of ['light', 'dark']) {
    const page = await newPage(browser);
    await page.emulateMedia({ colorScheme: scheme });
    await register(page, uniqueName('imp_a11y'));
    await openAccount(page);
    await page.getByRole('heading', { name: 'Import notes' }).waitFor();
    await checkScreen(page, `account with import (${scheme})`);
    const doc = { format: 'finote-export', format_version: 1, notes: [
      { id: '6f1c2f4e-8a4b-4c1e-9d2a-0b1c2d3e4f50', title: 'Fine', content: 'ok', tags: [], pinned: false },
      { id: '6f1c2f4e-8a4b-4c1e-9d2a-0b1c2d3e4f51', title: 'x'.repeat(300), content: 'title too long', tags: [], pinned: false },
    ], trash: [] };
    await importFiles(page, { name: 'e.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)) });
    const summary = await finished(page);
    assert.match(summary, /1 note imported/);
    assert.match(summary, /1 note refused:/);
    assert.match(await page.locator('#import-refused').innerText(), /title: not a string of at most 200 characters/,
      'the refused note with the server\'s reason; the rest of its batch went in');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'import-summary-title', 'focus on the summary');
    await checkScreen(page, `import summary (${scheme})`);
    assertNoProblems(page);
    await page.context().close();
  }
});

test('an older server (finote 1.2.2): no Import, no Idempotency-Key, no writer', async () => {
  const server = await startOlderServer('1.2.2');
  try {
    const page = await newPage(browser);
    const sent = [];
    page.on('request', (r) => {
      if (!/\/api\/(notes|trash)/.test(r.url()) || r.method() === 'GET') return;
      sent.push({ method: r.method(), key: r.headers()['idempotency-key'], body: r.postData() });
    });
    await register(page, uniqueName('imp_old'), undefined, server.base);
    await createNote(page, 'On 1.2.2', 'first');
    await openNote(page, 'On 1.2.2');
    await page.getByLabel('Text', { exact: true }).fill('second');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(page.locator('#save-status'), /^Saved/);
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    assert.ok(await page.locator('#import-part').isHidden(), 'no Import notes on 1.2.2');
    assert.ok(sent.some((r) => r.method === 'POST') && sent.some((r) => r.method === 'PATCH'), 'a create and a save were seen');
    for (const r of sent) {
      assert.equal(r.key, undefined, `${r.method} without Idempotency-Key`);
      assert.ok(!/"writer"/.test(r.body || ''), `${r.method} without a writer`);
    }
    assertNoProblems(page);
    await page.context().close();
  } finally {
    await server.stop();
  }
});
