/**
 * The `podlab ui` page's script, served as /app.js: plain browser JavaScript, no framework, no
 * build step. It asks the server (server.ts) to run the checks or a trace and puts the answers
 * into the page the server rendered (page.ts): results into the check rows, hops into a list, the
 * redrawn SVG (failed checks, the traced path) into the topology. It also listens to the server's
 * live updates (server-sent events, /api/events): the pods, Services, check rows and the drawing
 * are replaced as the lab changes, and the header says what changed. Every request carries the
 * page's token; text from the lab goes in as textContent, never as HTML, except the SVG the
 * server drew (Graphviz escapes every label).
 */
export const APP_JS = `'use strict';
(function () {
  var token = new URLSearchParams(location.search).get('token') || '';
  function api(path, body) {
    return fetch(path + '?token=' + encodeURIComponent(token), {
      method: body ? 'POST' : 'GET',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error((j.code ? j.code + ': ' : '') + (j.error || r.status) + (j.hint ? ' ' + j.hint : ''));
        return j;
      });
    });
  }
  function el(tag, cls, text) {
    var x = document.createElement(tag);
    if (cls) x.className = cls;
    if (text !== undefined) x.textContent = text;
    return x;
  }
  // A drawing wider than the page is shrunk to fit, but not below MIN_SCALE of its size: past that
  // its labels cannot be read, and the box scrolls instead.
  var MIN_SCALE = 0.8;
  function fitSvg() {
    var box = document.getElementById('topology');
    var svg = box.querySelector('svg');
    if (!svg) return;
    var natural = parseFloat(svg.getAttribute('width') || '') || (svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width) || 0;
    if (!natural) return;
    var width = Math.min(natural, Math.max(box.clientWidth, natural * MIN_SCALE));
    svg.style.width = width + 'px';
  }
  function setSvg(svg) {
    if (svg) document.getElementById('topology').innerHTML = svg;
    fitSvg();
  }
  fitSvg();
  window.addEventListener('resize', fitSvg);

  var runBtn = document.getElementById('run-checks');
  runBtn.addEventListener('click', function () {
    runBtn.disabled = true;
    document.getElementById('checks-error').textContent = '';
    document.getElementById('checks-summary').textContent = 'running…';
    document.querySelectorAll('tr.check').forEach(function (tr) { tr.dataset.status = 'running'; tr.querySelector('.status').textContent = '…'; });
    api('/api/checks', {}).then(function (j) {
      var failed = 0;
      j.results.forEach(function (r) {
        var tr = document.querySelector('tr.check[data-index="' + r.index + '"]');
        if (!tr) return;
        if (r.status === 'fail') failed++;
        tr.dataset.status = r.status;
        tr.querySelector('.status').textContent = r.status === 'pass' ? '✓ pass' : '✗ fail';
        tr.querySelector('.seen').textContent = r.status === 'pass' ? r.seen : r.seen + ' · try: ' + r.command;
      });
      document.getElementById('checks-summary').textContent = (j.results.length - failed) + ' passed, ' + failed + ' failed';
      document.body.dataset.checks = 'done';
      setSvg(j.svg);
    }).catch(function (e) {
      document.getElementById('checks-error').textContent = e.message;
      document.getElementById('checks-summary').textContent = '';
    }).finally(function () { runBtn.disabled = false; });
  });

  function showTrace(t) {
    var box = document.getElementById('trace');
    box.textContent = '';
    var p = el('p', 'outcome');
    p.dataset.outcome = t.outcome;
    p.appendChild(document.createTextNode(t.request + ': '));
    p.appendChild(el('b', '', t.outcome));
    p.appendChild(document.createTextNode(' — ' + t.reason));
    box.appendChild(p);
    var ol = el('ol');
    ol.id = 'hops';
    t.hops.forEach(function (h) {
      var li = el('li', 'hop');
      li.dataset.kind = h.kind;
      li.dataset.status = h.status;
      li.appendChild(el('b', '', h.kind));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'at', h.at));
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'mark', h.status));
      li.appendChild(el('div', 'linux', h.linux));
      li.appendChild(el('div', 'k8s', h.k8s));
      if (h.observed) li.appendChild(el('div', 'observed', h.observed));
      ol.appendChild(li);
    });
    box.appendChild(ol);
  }

  var form = document.getElementById('trace-form');
  function trace() {
    var body = { from: document.getElementById('trace-from').value, to: document.getElementById('trace-to').value };
    var port = document.getElementById('trace-port').value;
    var proto = document.getElementById('trace-proto').value;
    if (port) body.port = Number(port);
    if (proto) body.proto = proto;
    document.getElementById('trace-error').textContent = '';
    document.getElementById('trace').textContent = 'tracing ' + body.from + ' → ' + body.to + '…';
    document.getElementById('trace-go').disabled = true;
    api('/api/trace', body).then(function (j) {
      showTrace(j.trace);
      setSvg(j.svg);
      document.body.dataset.trace = 'done';
    }).catch(function (e) {
      document.getElementById('trace').textContent = '';
      document.getElementById('trace-error').textContent = e.message;
      document.body.dataset.trace = 'error';
    }).finally(function () { document.getElementById('trace-go').disabled = false; });
  }
  form.addEventListener('submit', function (ev) { ev.preventDefault(); trace(); });

  // Live: the server pushes the rows and the drawing when the lab changes (a pod deleted or crashed
  // elsewhere, endpoints, check results). Its HTML is the server's own rendering, escaped as the page is.
  var updates = 0;
  var events = new EventSource('/api/events?token=' + encodeURIComponent(token));
  events.addEventListener('update', function (ev) {
    var u = JSON.parse(ev.data);
    document.querySelector('#pods tbody').innerHTML = u.pods;
    document.querySelector('#services tbody').innerHTML = u.services;
    if (!runBtn.disabled) document.querySelector('#checks tbody').innerHTML = u.checks;
    setSvg(u.svg);
    document.getElementById('live').textContent = 'live';
    // The latest changes first, the last five kept.
    if (u.changes.length) {
      var box = document.getElementById('changes');
      var li = el('li', '', new Date().toLocaleTimeString() + ' · ' + u.changes.join(' · '));
      box.insertBefore(li, box.firstChild);
      while (box.children.length > 5) box.removeChild(box.lastChild);
    }
    document.body.dataset.updates = String(++updates);
  });
  events.addEventListener('gone', function (ev) {
    document.getElementById('live').textContent = JSON.parse(ev.data).error;
  });
  events.addEventListener('error', function () {
    document.getElementById('live').textContent = 'not live (podlab ui stopped?)';
  });

  // A click on a pod in the drawing: the first picks where the trace starts, the second where it ends, and traces.
  var picked = null;
  document.getElementById('topology').addEventListener('click', function (ev) {
    var g = ev.target.closest && ev.target.closest('g.node');
    var title = g && g.querySelector('title');
    var id = title ? title.textContent : '';
    if (id.indexOf('pod/') !== 0) return;
    var ref = id.slice(4);
    if (picked === null) {
      picked = ref;
      document.getElementById('trace-from').value = ref;
      document.getElementById('trace').textContent = 'from ' + ref + ': now click the pod to trace to';
    } else {
      document.getElementById('trace-from').value = picked;
      document.getElementById('trace-to').value = ref;
      picked = null;
      trace();
    }
  });
})();
`;
