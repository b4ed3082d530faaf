// The alertgate dashboard's only script: progressive enhancement. Pages work
// without it; with it, times read relative in the browser's zone, URLs copy
// with a button, and regions marked data-live refresh every few seconds by
// fetching the same page again (short polling, no extra endpoints).
(function () {
  'use strict';
  var EVERY_MS = 3000;

  function relative(date) {
    var s = Math.round((Date.now() - date.getTime()) / 1000);
    var future = s < 0;
    s = Math.abs(s);
    var text;
    if (s < 10) return future ? 'in a few seconds' : 'just now';
    if (s < 60) text = s + ' s';
    else if (s < 3600) text = Math.floor(s / 60) + ' min';
    else if (s < 86400) text = Math.floor(s / 3600) + ' h';
    else text = Math.floor(s / 86400) + ' d';
    return future ? 'in ' + text : text + ' ago';
  }

  function times(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      t.textContent = relative(d);
      t.title = d.toLocaleString();
    });
  }

  function copyButtons(root) {
    root.querySelectorAll('button[data-copy]').forEach(function (b) { b.hidden = false; });
  }

  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button[data-copy]');
    if (!b) return;
    var input = document.getElementById(b.getAttribute('data-copy'));
    if (!input) return;
    var done = function () { b.textContent = 'Copied'; setTimeout(function () { b.textContent = 'Copy'; }, 1500); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      done();
    }
  });

  var busy = false;
  function refresh(regions) {
    if (busy || document.hidden) return;
    busy = true;
    fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        // Logged out or expired: leave the page as it is.
        if (!r.ok || r.redirected) throw new Error('stale');
        return r.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        regions.forEach(function (el) {
          var active = document.activeElement;
          // Never pull the rug from under someone typing or clicking inside.
          if (active && active !== document.body && el.contains(active)) return;
          var fresh = doc.getElementById(el.id);
          if (!fresh) return;
          var open = [];
          el.querySelectorAll('details[open][id]').forEach(function (d) { open.push(d.id); });
          el.innerHTML = fresh.innerHTML;
          open.forEach(function (id) {
            var d = document.getElementById(id);
            if (d) d.open = true;
          });
          times(el);
          copyButtons(el);
        });
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }

  function start() {
    document.documentElement.classList.add('js');
    times(document);
    copyButtons(document);
    var regions = Array.prototype.slice.call(document.querySelectorAll('[data-live][id]'));
    if (regions.length) {
      document.querySelectorAll('.live-note').forEach(function (n) { n.hidden = false; });
      setInterval(function () { refresh(regions); }, EVERY_MS);
    }
    setInterval(function () { times(document); }, 30000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
