// Nothing doubled, nothing left out (finote 1.3), checked against the
// server: a create whose answer is lost (the server made the note, the
// browser saw the connection drop) and that is sent again after a reload,
// with the key kept in the draft, makes one note; and two tabs of one
// session (two pages of one browser context) each name their own writer, so
// "Keep my text" within the revision collapse window keeps the other tab's
// text in the history.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, waitText, waitFor, register, editorReady, apiCall, apiCreateNotes,
  serverNote, localDrafts,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const text = (page) => page.getByLabel('Text', { exact: true });

async function notesTitled(page, title) {
  const r = await apiCall(page, 'GET', '/api/notes?limit=100');
  assert.equal(r.status, 200);
  return r.json.notes.filter((n) => n.title === title);
}

test('a create whose answer was lost, sent again after a reload with the key kept in the draft: one note', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('idem'));
  const creates = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().endsWith('/api/notes')) creates.push(r.headers()['idempotency-key']);
  });
  // The first create reaches the server, which makes the note; its answer
  // never reaches the page (the connection resets, as in a failover), and
  // the retries reach nothing (the network is gone) until the reload.
  let reached = 0;
  await page.route('**/api/notes', async (route) => {
    if (route.request().method() !== 'POST') { await route.fallback(); return; }
    if (reached++ === 0) assert.equal((await route.fetch()).status(), 201, 'the server made the note');
    await route.abort(reached === 1 ? 'connectionreset' : 'internetdisconnected');
  });
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Made once');
  await text(page).fill('the first words');
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Not saved yet, retrying/);
  assert.equal((await notesTitled(page, 'Made once')).length, 1, 'the server has the note');
  const [draft] = await localDrafts(page);
  assert.match(draft.create.key, /^[A-Za-z0-9_-]{22}$/, 'the key is kept in the draft');
  assert.equal(draft.create.body.content, 'the first words');
  // The user types on, then the tab reloads before any retry.
  await text(page).fill('the first words, and more');
  await page.unroute('**/api/notes');
  await page.reload();
  // the draft's create goes again at once, and once it is saved the editor
  // is the note's ("Edit note"): either heading may be the one seen first
  await page.getByRole('heading', { name: /^(New|Edit) note$/ }).waitFor();
  await waitText(page.locator('#save-status'), /^Saved/, 20_000);
  const made = await notesTitled(page, 'Made once');
  assert.equal(made.length, 1, 'one note, not two');
  assert.equal((await serverNote(page, made[0].id)).content, 'the first words, and more', 'with the newest text');
  assert.ok(creates.length >= 2, 'the create was sent again');
  assert.deepEqual([...new Set(creates)], [creates[0]], 'always with the same key');
  const sent = creates.length;
  await waitFor(async () => (await page.evaluate(() => location.hash)) === '#/note/' + made[0].id, 'the editor on the note');
  assert.deepEqual(await localDrafts(page), [], 'no draft left');

  // The next new note gets a new key.
  await page.getByRole('link', { name: /All notes/ }).click();
  await page.getByRole('link', { name: 'New note' }).click();
  await page.getByLabel('Title').fill('Another');
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Saved/);
  assert.equal(creates.length, sent + 1);
  assert.notEqual(creates[sent], creates[0], 'a new create, a new key');
  assertNoProblems(page);
  await page.context().close();
});

test('two tabs of one session, "Keep my text" within the collapse window: both texts are in the history', async () => {
  const tabA = await newPage(browser);
  await register(tabA, uniqueName('writers'));
  const tabB = await tabA.context().newPage();   // same cookies and localStorage, its own sessionStorage
  tabB.setDefaultTimeout(10_000);
  tabB.problems = [];
  tabB.on('pageerror', (e) => tabB.problems.push('page error: ' + e.message));
  const writers = { A: new Set(), B: new Set() };
  for (const [name, tab] of [['A', tabA], ['B', tabB]]) {
    tab.on('request', (r) => { if (r.method() === 'PATCH') writers[name].add(JSON.parse(r.postData()).writer); });
  }
  const [note] = await apiCreateNotes(tabA, [{ title: 'Two tabs', content: 'the original text' }]);
  for (const tab of [tabA, tabB]) {
    await tab.goto(new URL('/#/note/' + note.id, tabA.url()).href);
    await editorReady(tab);
  }
  await text(tabA).fill("A's text, saved first");
  await tabA.getByRole('button', { name: 'Save' }).click();
  await waitText(tabA.locator('#save-status'), /^Saved/);
  await text(tabB).fill("B's text, kept");
  await tabB.getByRole('button', { name: 'Save' }).click();
  await tabB.getByRole('region', { name: 'This note was changed somewhere else' }).waitFor();
  await tabB.getByRole('button', { name: 'Keep my text' }).click();
  await waitText(tabB.locator('#save-status'), /^Saved/);

  const now = await serverNote(tabA, note.id);
  assert.deepEqual([now.content, now.version], ["B's text, kept", 3]);
  const history = await apiCall(tabA, 'GET', `/api/notes/${note.id}/revisions`);
  assert.equal(history.status, 200);
  assert.deepEqual(history.json.revisions.map((r) => r.version), [2, 1], 'a revision of each replaced version');
  const texts = [];
  for (const r of history.json.revisions) {
    texts.push((await apiCall(tabA, 'GET', `/api/notes/${note.id}/revisions/${r.id}`)).json.content);
  }
  assert.deepEqual(texts, ["A's text, saved first", 'the original text'], "A's text is in the history");
  assert.equal(writers.A.size, 1, 'tab A sent one writer');
  assert.equal(writers.B.size, 1, 'tab B sent one writer');
  const [a] = writers.A;
  const [b] = writers.B;
  assert.match(a, /^[A-Za-z0-9_-]{1,64}$/);
  assert.notEqual(a, b, 'each tab its own writer');
  assertNoProblems(tabA);
  assertNoProblems(tabB);
  await tabA.context().close();
});
