// Accounts in a real browser: register, log out, log in, the errors a person
// sees (taken username, wrong password, too many attempts), a session that
// expired in the database, and logging in with the keyboard alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newPage, assertNoProblems, uniqueName, shot, waitText, open, register, login, logout,
  createNote, noteLink, openNote, expireSessions, waitFor, PASSWORD, BASE,
} from './lib.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('register, log out, log in again', async () => {
  const page = await newPage(browser);
  await open(page);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await shot(page, 'login');

  const name = uniqueName('reg');
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await shot(page, 'register');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  assert.equal(await page.locator('#whoami-name').textContent(), name);
  await waitText(page.locator('#list-status'), 'No notes yet');
  await shot(page, 'list-empty');

  await logout(page);
  await waitText(page.locator('#auth-notice'), 'You have logged out.');
  // The cookie is really gone: a reload lands on the log-in screen.
  await page.reload();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.ok(await page.locator('#view-list').isHidden());

  await login(page, name);
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  // No token in the page's storage: the session is the HttpOnly cookie.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  assert.doesNotMatch(stored, /token/i);
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((c) => c.httpOnly), 'an HttpOnly session cookie is set');
  assert.equal(await page.evaluate(() => document.cookie), '', 'the page cannot read the session cookie');
  assertNoProblems(page);
  await page.context().close();
});

test('a taken username, a short password and the server\'s own input errors show next to their fields', async () => {
  const page = await newPage(browser);
  const name = uniqueName('taken');
  await register(page, name);
  await logout(page);

  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();   // the router clears the password
  await page.getByLabel('Username').fill(name.toUpperCase());   // unique case-insensitively
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitText(page.locator('#auth-password-error'), 'Use at least 8 characters.');
  assert.equal(await page.getByLabel('Password', { exact: true }).getAttribute('aria-invalid'), 'true');

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitText(page.locator('#auth-username-error'), 'That username is already taken.');
  assert.equal(await page.getByLabel('Username').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'auth-username', 'focus goes to the field');

  // The server's own invalid_input message, next to the field it names: the
  // app checks first, so the request is changed on its way to the real server.
  await page.route('**/api/auth/register', (route) =>
    route.continue({ postData: JSON.stringify({ username: 'no spaces allowed', password: PASSWORD }) }));
  await page.getByLabel('Username').fill(uniqueName('fine'));
  await page.getByRole('button', { name: 'Create account' }).click();
  const serverMessage = await waitText(page.locator('#auth-username-error'), /^Username must be/);
  assert.match(serverMessage, /2 to 32 characters/);
  await page.unroute('**/api/auth/register');
  assertNoProblems(page);
  await page.context().close();
});

test('a wrong password says so, and the sixth try says to wait', async () => {
  const page = await newPage(browser);
  const name = uniqueName('wrong');
  await register(page, name);
  await logout(page);

  await login(page, name, 'not the password');
  await waitText(page.locator('#auth-error'), 'Wrong username or password.');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the wrong password is cleared');
  await shot(page, 'error-wrong-password');

  // An unknown user gets the very same answer.
  await login(page, uniqueName('nobody'), 'whatever123');
  await waitText(page.locator('#auth-error'), 'Wrong username or password.');

  for (let i = 2; i <= 5; i++) {
    await login(page, name, 'not the password ' + i);
    await waitText(page.locator('#auth-error'), 'Wrong username or password.');
  }
  // The right password, but throttled: the wait said is the server's
  // Retry-After, in words.
  const throttled = page.waitForResponse((r) => r.url().endsWith('/api/auth/login') && r.status() === 429);
  await login(page, name);
  const retryAfter = Number((await throttled).headers()['retry-after']);
  assert.ok(retryAfter >= 1, 'a 429 says how long to wait: ' + retryAfter);
  const words = retryAfter < 60 ? (retryAfter === 1 ? '1 second' : `${retryAfter} seconds`)
    : Math.ceil(retryAfter / 60) === 1 ? '1 minute' : `${Math.ceil(retryAfter / 60)} minutes`;
  await waitText(page.locator('#auth-error'), `Too many failed log-in attempts. Please wait ${words}, then try again.`);
  await shot(page, 'error-too-many-attempts');
  assert.ok(await page.locator('#view-list').isHidden());
  assertNoProblems(page);
  await page.context().close();
});

test('an expired session sends the user back to log in, with what they typed kept', async () => {
  const page = await newPage(browser);
  const name = uniqueName('exp');
  await register(page, name);
  await createNote(page, 'Expiring note', 'first text');

  // While on the list: the next request (a search) gets 401.
  await expireSessions(name);
  await page.getByLabel('Search notes').fill('first');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await waitText(page.locator('#auth-notice'), 'Your session expired, please log in again');
  await shot(page, 'error-session-expired');
  await login(page, name);
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();

  // While editing: the autosave gets 401; the text survives logging in again.
  await openNote(page, 'Expiring note');
  await expireSessions(name);
  await page.getByLabel('Text', { exact: true }).fill('typed while the session ran out');
  await page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 15_000 });
  await waitText(page.locator('#auth-notice'), 'Your session expired, please log in again');
  await login(page, name);
  // Back on the same note, with the typed text restored and then saved.
  await page.getByRole('heading', { name: 'Edit note' }).waitFor();
  await waitText(page.locator('#editor-notice'), 'Restored changes');
  assert.equal(await page.getByLabel('Text', { exact: true }).inputValue(), 'typed while the session ran out');
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.reload();
  await page.getByRole('heading', { name: 'Edit note' }).waitFor();
  await waitFor(async () => (await page.getByLabel('Text', { exact: true }).inputValue()) === 'typed while the session ran out',
    'the saved text after a reload');
  assertNoProblems(page);
  await page.context().close();
});

test('log in and write a note with the keyboard alone', async () => {
  const name = uniqueName('kbd');
  {
    const setup = await newPage(browser);
    await register(setup, name);
    await setup.context().close();
  }
  const page = await newPage(browser);
  await page.goto(BASE + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();

  // Tab from the top of the page to the username field.
  const focused = () => page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.textContent.trim()));
  for (let i = 0; i < 10 && (await focused()) !== 'auth-username'; i++) await page.keyboard.press('Tab');
  assert.equal(await focused(), 'auth-username');
  // The focus ring is visible.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focused input shows an outline');
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'auth-password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();

  // Back up to the skip link at the top; it lands on the screen's heading.
  await page.getByRole('link', { name: 'Account' }).waitFor();   // once the server is known to be 1.2
  for (const expected of ['logout-btn', 'account-link', 'Finote', 'Skip to content']) {
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), expected);
  }
  await page.keyboard.press('Enter');
  assert.equal(await focused(), 'list-title');
  assert.equal(await page.evaluate(() => location.hash), '#/', 'the skip link leaves the route alone');

  // New note -> type -> Ctrl+S -> back to the list, all from the keyboard.
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'new-note');
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await shot(page, 'keyboard-focus');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'New note' }).waitFor();
  assert.equal(await focused(), 'note-title');
  await page.keyboard.type('Typed with keys');
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'note-content');
  await page.keyboard.type('No mouse was used.');
  await page.keyboard.press('Control+s');
  await waitText(page.locator('#save-status'), /^Saved/);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await focused(), 'editor-back');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Your notes' }).waitFor();
  await noteLink(page, 'Typed with keys').waitFor();
  assertNoProblems(page);
  await page.context().close();
});
