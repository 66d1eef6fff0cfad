/* global document, window, fetch, history, location */
// The log viewer: moves a window of a few hundred lines over a log of any size by asking
// /api/jobs/{id}/log for line ranges, jumps to a linked line or the error, and follows a
// running job's log. Lines are added as text nodes: a log's text is never parsed as HTML.
(function () {
  'use strict';
  var box = document.getElementById('log');
  var pre = document.getElementById('lines');
  if (!box || !pre) return;
  var job = box.dataset.job;
  var total = Number(box.dataset.total);
  var errLines = {};
  (box.dataset.errLines || '').split(' ').forEach(function (n) { if (n) errLines[n] = true; });
  var from = Number(box.dataset.from);
  var to = from + pre.children.length - 1;
  var WINDOW = 500;
  // As the server's pages do: a bidirectional control is shown as its code point, never obeyed.
  var BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  function markBidi(text) {
    return text.replace(BIDI, function (c) { return '[U+' + ('000' + c.charCodeAt(0).toString(16).toUpperCase()).slice(-4) + ']'; });
  }

  function lineEl(n, text) {
    var span = document.createElement('span');
    span.id = 'L' + n;
    span.className = 'line' + (errLines[n] ? ' err' : '');
    var a = document.createElement('a');
    a.className = 'ln';
    a.href = '?line=' + n + '#L' + n;
    a.textContent = String(n);
    span.appendChild(a);
    span.appendChild(document.createTextNode(markBidi(text) + '\n'));
    return span;
  }

  function fetchLines(start, count) {
    return fetch('/api/jobs/' + encodeURIComponent(job) + '/log?from=' + start + '&count=' + count, { credentials: 'same-origin' })
      .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); });
  }

  function setTotal(n) {
    total = n;
    var el = document.getElementById('total');
    if (el) el.textContent = String(n);
  }

  function focus(n) {
    var old = pre.querySelectorAll('.line.target');
    for (var i = 0; i < old.length; i++) old[i].classList.remove('target');
    var el = document.getElementById('L' + n);
    if (!el) return;
    el.classList.add('target');
    el.scrollIntoView({ block: 'center' });
    box.dataset.shown = String(n);
  }

  function show(n) {
    if (n >= from && n <= to) { focus(n); return; }
    var start = Math.max(1, n - 100);
    fetchLines(start, WINDOW).then(function (data) {
      setTotal(data.totalLines);
      var nodes = data.lines.map(function (t, i) { return lineEl(start + i, t); });
      pre.replaceChildren.apply(pre, nodes);
      from = start;
      to = start + data.lines.length - 1;
      focus(n);
    });
  }

  function more(direction) {
    var start = direction < 0 ? Math.max(1, from - WINDOW) : to + 1;
    var count = direction < 0 ? from - start : WINDOW;
    if (count <= 0) return;
    fetchLines(start, count).then(function (data) {
      setTotal(data.totalLines);
      var nodes = data.lines.map(function (t, i) { return lineEl(start + i, t); });
      if (direction < 0) { pre.prepend.apply(pre, nodes); from = start; } else { pre.append.apply(pre, nodes); to = start + nodes.length - 1; }
    });
  }

  document.addEventListener('click', function (ev) {
    var a = ev.target instanceof window.Element ? ev.target.closest('a') : null;
    if (!a) return;
    if (a.id === 'earlier' || a.id === 'later') { ev.preventDefault(); more(a.id === 'earlier' ? -1 : 1); return; }
    var m = /#L(\d+)$/.exec(a.getAttribute('href') || '');
    if (!m || !box.contains(a) && !a.closest('.toolbar')) return;
    ev.preventDefault();
    history.replaceState(null, '', '?line=' + m[1] + '#L' + m[1]);
    show(Number(m[1]));
  });

  var hash = /^#L(\d+)$/.exec(location.hash);
  show(hash ? Number(hash[1]) : Number(box.dataset.focus));

  if (box.dataset.follow === 'yes' && window.EventSource) {
    var carry = '';
    var source = new window.EventSource('/api/jobs/' + encodeURIComponent(job) + '/log/follow?offset=' + box.dataset.size);
    source.addEventListener('lines', function (ev) {
      var text = carry + JSON.parse(ev.data).text;
      var parts = text.split('\n');
      carry = parts.pop() || '';
      var atEnd = to >= total;
      for (var i = 0; i < parts.length; i++) {
        setTotal(total + 1);
        if (atEnd) { pre.appendChild(lineEl(total, parts[i])); to = total; }
      }
      if (atEnd && parts.length > 0) pre.lastChild.scrollIntoView({ block: 'end' });
    });
    source.addEventListener('end', function () {
      source.close();
      box.dataset.follow = 'ended';
      var note = document.createElement('p');
      note.className = 'muted';
      var link = document.createElement('a');
      link.href = location.pathname;
      link.textContent = 'the job has ended: show its error lines';
      note.appendChild(link);
      box.appendChild(note);
    });
  }
})();
