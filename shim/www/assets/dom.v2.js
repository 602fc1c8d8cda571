// dom: small helpers for building and updating the page without innerHTML
// (user text only ever goes in as text nodes), plus view switching, field
// errors and screen-reader announcements.

export const $ = (id) => document.getElementById(id);

// h('a', {href: '#/', class: 'x'}, 'text', childNode, ...)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Show one view (a <section class="view"> of index.html), hide the others;
// move focus to `focusEl` (or the heading) so keyboard and screen-reader
// users land in the new screen.
export function showView(id, focusEl) {
  for (const v of document.querySelectorAll('main > .view')) v.hidden = v.id !== id;
  const target = focusEl || $(id).querySelector('h1');
  if (target) target.focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

// Set a text; a .notice box is hidden while it has nothing to say.
export function setText(el, text) {
  if (typeof el === 'string') el = $(el);
  el.textContent = text || '';
  if (el.classList.contains('notice')) el.hidden = !text;
}

// An error that belongs to one input: text under it, aria-invalid on it.
export function fieldError(inputId, message) {
  const input = $(inputId);
  const box = $(inputId + '-error');
  box.textContent = message || '';
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .form-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

let announceTimer = null;
export function announce(text) {
  const el = $('announcer');
  el.textContent = '';
  clearTimeout(announceTimer);
  // A fresh text node after a tick makes screen readers read repeats too.
  announceTimer = setTimeout(() => { el.textContent = text; }, 50);
}

export function debounce(fn, ms) {
  let t = null;
  const d = (...args) => { clearTimeout(t); t = setTimeout(() => { t = null; fn(...args); }, ms); };
  d.cancel = () => { clearTimeout(t); t = null; };
  d.pending = () => t !== null;
  return d;
}

const rtf = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat
  ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }) : null;

// "5 minutes ago" for the recent past, a date otherwise.
export function when(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.round((t - Date.now()) / 1000);
  if (Math.abs(s) < 60) return 'just now';
  if (rtf && Math.abs(s) < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (rtf && Math.abs(s) < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  return new Date(t).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}
