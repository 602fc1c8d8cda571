// The account screen (finote 1.2) in a real browser: "Export my notes"
// downloads one JSON document with the notes (and, when asked, their
// history and the trash); "Delete my account" asks for the password, says
// what goes, refuses a wrong one in words, says how long to wait once the
// attempts are spent, and on success leaves nothing of the user.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, register, login, createNote, openNote,
  apiCall, psql, localDrafts, PASSWORD, openAccount,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function download(page, withHistory) {
  await page.getByLabel('Include each note’s history').setChecked(withHistory);
  const started = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export my notes' }).click();
  const file = await started;
  assert.equal(file.suggestedFilename(), 'finote-export.json');
  await waitText(page.locator('#export-status'), 'Your export is downloaded');
  return JSON.parse(readFileSync(await file.path(), 'utf8'));
}

test('export my notes: the download holds the notes, the trash, and the history when asked', async () => {
  const page = await newPage(browser);
  const name = uniqueName('export');
  await register(page, name);
  await createNote(page, 'Exported note', 'first text');
  await openNote(page, 'Exported note');
  await page.getByLabel('Text', { exact: true }).fill('second text');
  await page.getByRole('button', { name: 'Save' }).click();
  await waitText(page.locator('#save-status'), /^Saved/);
  const id = await page.evaluate(() => location.hash.split('/')[2]);
  await page.getByRole('link', { name: /All notes/ }).click();
  await createNote(page, 'Trashed note', 'in the trash');
  const trashed = (await apiCall(page, 'GET', '/api/notes?q=trash')).json.notes[0].id;
  assert.equal((await apiCall(page, 'DELETE', '/api/notes/' + trashed)).status, 204);

  await openAccount(page);
  await shot(page, 'account');
  const doc = await download(page, false);
  assert.equal(doc.format, 'finote-export');
  assert.equal(doc.user.username, name);
  const note = doc.notes.find((n) => n.id === id);
  assert.ok(note, 'the note is in the export');
  assert.deepEqual([note.title, note.content], ['Exported note', 'second text']);
  assert.equal(note.revisions, undefined, 'no history unless asked');
  assert.deepEqual(doc.trash.map((n) => n.title), ['Trashed note']);

  const full = await download(page, true);
  const withHistory = full.notes.find((n) => n.id === id);
  assert.ok(withHistory.revisions.some((r) => r.content === 'first text'), 'the earlier text is in the history');
  assertNoProblems(page);
  await page.context().close();
});

test('delete my account: a wrong password is refused in words, the right one deletes everything', async () => {
  const page = await newPage(browser);
  const name = uniqueName('leaving');
  await register(page, name);
  await createNote(page, 'Last note', 'goodbye');
  await openAccount(page);
  assert.match(await page.locator('#view-account').textContent(),
    /all your notes, their history, the notes in your trash, and every\s+session/);
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /all your notes, their history, the notes in your trash and all your\s+sessions/);

  await dialog.getByLabel('Your password').fill('not my password');
  await dialog.getByRole('button', { name: 'Delete my account' }).click();
  await waitText(page.locator('#delete-account-password-error'), 'Wrong password. Your account was not deleted.');
  assert.equal(await dialog.getByLabel('Your password').inputValue(), '', 'the wrong password is cleared');
  await shot(page, 'delete-account-wrong-password');
  assert.equal((await apiCall(page, 'GET', '/api/auth/me')).status, 200, 'still logged in');

  await dialog.getByLabel('Your password').fill(PASSWORD);
  await dialog.getByLabel('Your password').press('Enter');   // Enter deletes, it does not cancel
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await waitText(page.locator('#auth-notice'), 'Your account has been deleted');
  assert.equal(psql(`SELECT count(*) FROM finote.users WHERE lower(username) = lower('${name}')`), '0');
  assert.deepEqual(await localDrafts(page), []);
  await login(page, name);
  await waitText(page.locator('#auth-error'), 'Wrong username or password.');
  assertNoProblems(page);
  await page.context().close();
});

test('delete my account: after too many wrong passwords the wait is the server\'s', async () => {
  const page = await newPage(browser);
  await register(page, uniqueName('guess'));
  await openAccount(page);
  await page.getByRole('button', { name: 'Delete my account…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
  let retryAfter = null;
  for (let i = 1; i <= 12 && retryAfter === null; i++) {
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/auth/me') && r.request().method() === 'DELETE');
    await dialog.getByLabel('Your password').fill('wrong guess ' + i);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    const r = await answer;
    if (r.status() === 429) retryAfter = Number(r.headers()['retry-after']);
    else assert.equal(r.status(), 401);
  }
  assert.ok(retryAfter >= 1, 'throttled, with a Retry-After');
  const words = retryAfter < 60 ? `${retryAfter} second${retryAfter === 1 ? '' : 's'}`
    : `${Math.ceil(retryAfter / 60)} minute${Math.ceil(retryAfter / 60) === 1 ? '' : 's'}`;
  await waitText(page.locator('#delete-account-error'),
    `Too many wrong passwords. Your account was not deleted. Please wait ${words}, then try again.`);
  await shot(page, 'delete-account-throttled');
  assert.equal((await apiCall(page, 'GET', '/api/auth/me')).status, 200, 'the account is still there');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assertNoProblems(page);
  await page.context().close();
});
