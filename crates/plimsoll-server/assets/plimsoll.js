// Plimsoll web UI: table sorting, table filtering and tabs, without any library. Every page
// works without it (tables unsorted, all tabs shown one after the other).
'use strict';
document.documentElement.classList.add('js');

function cellValue(row, index, kind) {
  const cell = row.cells[index];
  if (!cell) return kind === 'num' ? 0 : '';
  const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
  if (kind === 'num') {
    const n = parseFloat(raw);
    return Number.isNaN(n) ? -Infinity : n;
  }
  return raw.toLowerCase();
}

function makeSortable(table) {
  const headers = table.tHead ? Array.from(table.tHead.rows[0].cells) : [];
  headers.forEach((th, index) => {
    if (!th.dataset.sort) return;
    th.addEventListener('click', () => {
      const dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      headers.forEach((h) => delete h.dataset.dir);
      th.dataset.dir = dir;
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const kind = th.dataset.sort;
      rows.sort((a, b) => {
        const x = cellValue(a, index, kind);
        const y = cellValue(b, index, kind);
        const c = x < y ? -1 : x > y ? 1 : 0;
        return dir === 'asc' ? c : -c;
      });
      rows.forEach((r) => body.appendChild(r));
    });
  });
}

function bindFilter(input) {
  const target = document.getElementById(input.dataset.table);
  if (!target) return;
  const table = target.tagName === 'TABLE' ? target : target.querySelector('table');
  if (!table) return;
  input.addEventListener('input', () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    Array.from(table.tBodies[0].rows).forEach((row) => {
      const text = row.textContent.toLowerCase();
      row.hidden = !words.every((w) => text.includes(w));
    });
  });
}

function setupTabs() {
  const tabs = Array.from(document.querySelectorAll('nav.tabs a[data-tab]'));
  if (tabs.length === 0) return;
  const show = (name) => {
    if (!tabs.some((t) => t.dataset.tab === name)) name = tabs[0].dataset.tab;
    tabs.forEach((t) => {
      const on = t.dataset.tab === name;
      t.classList.toggle('active', on);
      t.setAttribute('aria-selected', on ? 'true' : 'false');
      const panel = document.getElementById(t.dataset.tab);
      if (panel) panel.classList.toggle('active', on);
    });
  };
  tabs.forEach((t) => t.addEventListener('click', (e) => {
    e.preventDefault();
    history.replaceState(null, '', '#' + t.dataset.tab);
    show(t.dataset.tab);
  }));
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
}

document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('table.sortable').forEach(makeSortable);
  document.querySelectorAll('input.filter[data-table]').forEach(bindFilter);
  setupTabs();
});
