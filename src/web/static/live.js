/* global document, window, fetch, setTimeout, CustomEvent */
// Keeps a page's live region in step with the store, without a reload: each burst of
// store events (Server-Sent Events from /api/events) makes the server render the region
// again, and it replaces the old one. The HTML comes from this server, escaped there.
(function () {
  'use strict';
  var region = document.getElementById('live');
  if (!region || !window.EventSource) return;
  var KINDS = ['run.created', 'run.started', 'run.finished', 'run.reported', 'run.cancel_requested', 'run.jobs_added',
    'job.started', 'job.finished', 'job.retried', 'job.reclaimed', 'target.disabled', 'target.enabled'];
  var timer = null;
  var busy = false;
  var again = false;

  function schedule() {
    if (timer !== null) return;
    timer = setTimeout(function () { timer = null; refresh(); }, 150);
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(region.dataset.fragment, { headers: { accept: 'text/html' }, credentials: 'same-origin' })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (text === null) return;
        region.innerHTML = text;
        region.dataset.updated = String(Date.now());
        document.dispatchEvent(new CustomEvent('sluice:updated'));
      })
      .catch(function () { /* the next event or reconnect tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; schedule(); }
      });
  }

  var source = new window.EventSource(region.dataset.events);
  var opened = false;
  source.addEventListener('open', function () {
    document.body.dataset.live = 'open';
    // After a reconnect, events may have been missed: catch up once.
    if (opened) schedule();
    opened = true;
  });
  source.addEventListener('error', function () { document.body.dataset.live = 'reconnecting'; });
  KINDS.forEach(function (kind) { source.addEventListener(kind, schedule); });
})();
