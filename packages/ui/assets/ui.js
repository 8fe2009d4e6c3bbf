// JP-Link UI kit: progressive enhancement only. Every page works without this file.
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');

  // Ask before a form with data-confirm (on the form or its submit button) is sent,
  // then block double submission: the button is disabled after the browser has
  // read its name/value (disabling it synchronously would drop them from the form data).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var submitter = event.submitter || null;
    if (form.dataset.submitting === '1') {
      event.preventDefault();
      return;
    }
    var question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = '1';
    setTimeout(function () {
      if (submitter && !submitter.disabled) {
        submitter.disabled = true;
        submitter.dataset.uiDisabled = '1';
      }
    }, 0);
    // If the navigation is stopped (Esc, a download), let the form be sent again.
    setTimeout(function () {
      release(form);
    }, 15000);
  });

  function release(form) {
    delete form.dataset.submitting;
    form.querySelectorAll('[data-ui-disabled]').forEach(function (b) {
      b.disabled = false;
      delete b.dataset.uiDisabled;
    });
  }

  // data-confirm on a plain link.
  document.addEventListener('click', function (event) {
    var link = event.target instanceof Element ? event.target.closest('a[data-confirm]') : null;
    if (link && !window.confirm(link.getAttribute('data-confirm'))) event.preventDefault();
  });

  // Back/forward cache: a page restored after submitting must be usable again.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    document.querySelectorAll('form[data-submitting]').forEach(release);
  });

  // The menu button on narrow screens.
  function setUpNavToggle() {
    var toggle = document.querySelector('[data-nav-toggle]');
    var nav = toggle && document.getElementById(toggle.getAttribute('aria-controls'));
    if (!toggle || !nav) return;
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      var open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      nav.classList.toggle('is-open', open);
    });
    document.addEventListener('keydown', function (event) {
      if (event.key === 'Escape' && nav.classList.contains('is-open')) {
        nav.classList.remove('is-open');
        toggle.setAttribute('aria-expanded', 'false');
        toggle.focus();
      }
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setUpNavToggle);
  else setUpNavToggle();
})();
