// The main flow on a phone-sized screen (390x844, touch): register, create,
// search, edit, delete to the trash, the trash and the account screens, log
// out, a wrong password; nothing wider than the screen on any of them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, waitFor, login, logout,
  noteLink, editorReady, listedTitles, PASSWORD, BASE,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function fitsScreen(page, where) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${where}: page is ${scroll}px wide on a ${width}px screen`);
}

test('main flow at 390x844', async () => {
  const page = await newPage(browser, { viewport: { width: 390, height: 844 }, mobile: true });
  await page.goto(BASE + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await fitsScreen(page, 'log in');
  await shot(page, 'mobile-login');

  const name = uniqueName('phone');
  await page.getByRole('button', { name: 'Create an account' }).tap();
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).tap();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await fitsScreen(page, 'empty list');

  for (const [title, text] of [['Bus times', 'Line 7 leaves at 8:12'], ['Shopping', 'soap, rice, lemons']]) {
    await page.getByRole('link', { name: 'New note' }).tap();
    await page.getByRole('heading', { name: 'New note' }).waitFor();
    await page.getByLabel('Title').fill(title);
    await page.getByLabel('Text', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Save' }).tap();
    await waitText(page.locator('#save-status'), /^Saved/);
    await fitsScreen(page, 'editor');
    if (title === 'Shopping') await shot(page, 'mobile-editor');
    await page.getByRole('link', { name: /All notes/ }).tap();
    await noteLink(page, title).waitFor();
  }
  assert.deepEqual(await listedTitles(page), ['Shopping', 'Bus times']);
  await fitsScreen(page, 'list');
  await shot(page, 'mobile-list');

  await page.getByLabel('Search notes').fill('lemons');
  await waitFor(async () => (await listedTitles(page)).join() === 'Shopping', 'search');
  await page.getByLabel('Search notes').fill('');
  await waitFor(async () => (await listedTitles(page)).length === 2, 'both notes');

  await noteLink(page, 'Bus times').tap();
  await editorReady(page);
  await page.getByLabel('Text', { exact: true }).fill('Line 7 leaves at 8:12 and 8:42');
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.getByRole('button', { name: 'Delete…' }).tap();
  const dialog = page.getByRole('dialog', { name: 'Delete this note?' });
  await dialog.waitFor();
  await fitsScreen(page, 'delete dialog');
  await shot(page, 'mobile-confirm-delete');
  await dialog.getByRole('button', { name: 'Move to trash' }).tap();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await waitFor(async () => (await listedTitles(page)).join() === 'Shopping', 'one note left');
  await page.getByRole('link', { name: 'Trash' }).tap();
  await waitText(page.locator('#trash-status'), '1 deleted note.');
  await fitsScreen(page, 'trash');
  await shot(page, 'mobile-trash');
  await page.getByRole('link', { name: 'Account' }).tap();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  await fitsScreen(page, 'account');
  await shot(page, 'mobile-account');

  await logout(page);
  await login(page, name, 'wrong password!');
  await waitText(page.locator('#auth-error'), 'Wrong username or password.');
  await fitsScreen(page, 'log-in error');
  await shot(page, 'mobile-error');
  await login(page, name);
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await noteLink(page, 'Shopping').waitFor();
  assertNoProblems(page);
  await page.context().close();
});
