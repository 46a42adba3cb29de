// Progressive enhancement only: every flow works without this file.
(function () {
  'use strict';

  // "Show password" toggles next to password fields.
  document.querySelectorAll('input[type="password"]').forEach(function (input) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal';
    button.textContent = 'Show';
    button.setAttribute('aria-pressed', 'false');
    button.setAttribute('aria-label', 'Show password');
    button.addEventListener('click', function () {
      var shown = input.type === 'text';
      input.type = shown ? 'password' : 'text';
      button.textContent = shown ? 'Show' : 'Hide';
      button.setAttribute('aria-pressed', String(!shown));
      button.setAttribute('aria-label', shown ? 'Show password' : 'Hide password');
    });
    var wrap = document.createElement('div');
    wrap.className = 'reveal-wrap';
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(button);
  });

  // Password strength meter under new-password fields (<input data-strength>). Advice only: the server's
  // policy decides, and says why it refuses a password. No inline styles (the CSP has no 'unsafe-inline'):
  // the bar's width and colour come from app.css, keyed on data-level.
  var COMMON_PASSWORDS = [
    'password',
    'passw0rd',
    'p@ssw0rd',
    'p@ssword',
    'letmein',
    'welcome',
    'iloveyou',
    'admin',
    'administrator',
    'qwerty',
    'qwertyuiop',
    'asdfghjkl',
    'zxcvbnm',
    'abc',
    'abcdef',
    'abcdefgh',
    'monkey',
    'dragon',
    'football',
    'baseball',
    'sunshine',
    'princess',
    'trustno',
    'trustno1',
    'superman',
    'starwars',
    'whatever',
    'master',
    'shadow',
    'changeme',
    'secret',
    'login',
    'hello',
    'freedom',
    'michael',
    'jennifer',
    'charlie',
    'parapet',
    'correcthorsebatterystaple',
    '123456',
    '1234567',
    '12345678',
    '123456789',
    '1234567890',
    '111111',
    '000000',
    '123123',
    '654321',
    '121212',
    '1q2w3e4r',
    '1qaz2wsx',
    'qazwsx',
    'aaaaaa',
  ];
  var LABELS = { short: 'Too short', weak: 'Weak', fair: 'Fair', strong: 'Strong' };

  function isCommon(lower) {
    var bare = lower.replace(/[\s\d!?.@#$%^&*_-]+$/, '').replace(/^[\s\d!?.]+/, '');
    var squashed = lower.replace(/[\s._-]+/g, '');
    return (
      COMMON_PASSWORDS.indexOf(lower) !== -1 ||
      COMMON_PASSWORDS.indexOf(bare) !== -1 ||
      COMMON_PASSWORDS.indexOf(squashed) !== -1 ||
      lower.indexOf('parapet') !== -1 ||
      /^(.)\1+$/.test(squashed) ||
      /^(0123456789|1234567890|abcdefghijklmnopqrstuvwxyz)/.test(squashed)
    );
  }

  /** 'short' | 'weak' | 'fair' | 'strong', or '' for an empty field. */
  function strengthOf(value, minLength) {
    var length = Array.from(value).length;
    if (length === 0) {
      return '';
    }
    if (length < minLength) {
      return 'short';
    }
    var lower = value.toLowerCase();
    if (isCommon(lower) || new Set(lower).size <= 3) {
      return 'weak';
    }
    var kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (re) {
      return re.test(value);
    }).length;
    var score = 0;
    if (length >= minLength + 4) {
      score += 1;
    }
    if (length >= minLength + 8) {
      score += 1;
    }
    if (kinds >= 3) {
      score += 1;
    }
    if (new Set(lower).size < Math.min(8, length / 2)) {
      score -= 1;
    }
    return score >= 2 ? 'strong' : score === 1 ? 'fair' : 'weak';
  }

  document.querySelectorAll('input[data-strength]').forEach(function (input) {
    var fromHint = /at least (\d+) characters/i.exec(
      (document.getElementById(input.id + '-hint') || {}).textContent || '',
    );
    var minLength = parseInt(input.getAttribute('data-min-length') || (fromHint && fromHint[1]) || '12', 10);

    var meter = document.createElement('div');
    meter.className = 'strength';
    meter.setAttribute('data-level', '');
    var track = document.createElement('div');
    track.className = 'strength__track';
    track.setAttribute('aria-hidden', 'true');
    var fill = document.createElement('div');
    fill.className = 'strength__fill';
    track.appendChild(fill);
    var label = document.createElement('p');
    label.className = 'strength__label';
    label.id = input.id + '-strength';
    label.setAttribute('aria-live', 'polite');
    meter.appendChild(track);
    meter.appendChild(label);

    // Right under the field (after the show-password wrapper when there is one), before any error message.
    var anchor = input.parentNode && input.parentNode.classList.contains('reveal-wrap') ? input.parentNode : input;
    anchor.parentNode.insertBefore(meter, anchor.nextSibling);
    var describedBy = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    describedBy.push(label.id);
    input.setAttribute('aria-describedby', describedBy.join(' '));

    function update() {
      var level = strengthOf(input.value, minLength);
      meter.setAttribute('data-level', level);
      var text = level ? 'Password strength: ' + LABELS[level] : '';
      // Only touch the live region when the verdict changes, so a screen reader is not told on every keystroke.
      if (label.textContent !== text) {
        label.textContent = text;
      }
    }
    input.addEventListener('input', update);
    update();
  });

  // Forms that ask for confirmation before a destructive action.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (!window.confirm(form.getAttribute('data-confirm'))) {
        event.preventDefault();
      }
    });
  });

  // Forms that ask only when one field changed (an administrator saving another role, which signs the person out).
  document.querySelectorAll('form[data-confirm-change]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      var field = form.elements.namedItem(form.getAttribute('data-confirm-change'));
      if (!field || field.tagName !== 'SELECT') {
        return;
      }
      var initial = Array.prototype.find.call(field.options, function (option) {
        return option.defaultSelected;
      });
      if (initial && field.value !== initial.value && !window.confirm(form.getAttribute('data-confirm-message'))) {
        event.preventDefault();
      }
    });
  });

  // A table wider than its box scrolls sideways inside it (the audit log on a laptop): such a box must be
  // reachable by keyboard to be scrolled without a mouse, and be named when it receives focus. Only while it
  // really scrolls, so a table that fits adds no stop to the tab order.
  function markScrollingTables() {
    document.querySelectorAll('.table-wrap').forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute('tabindex')) {
        var heading = document.querySelector('main h1');
        wrap.setAttribute('tabindex', '0');
        wrap.setAttribute('role', 'region');
        wrap.setAttribute('aria-label', (heading ? heading.textContent.trim() + ': ' : '') + 'table, scrolls sideways');
        wrap.setAttribute('data-scrolls', '');
      } else if (!scrolls && wrap.hasAttribute('data-scrolls')) {
        wrap.removeAttribute('tabindex');
        wrap.removeAttribute('role');
        wrap.removeAttribute('aria-label');
        wrap.removeAttribute('data-scrolls');
      }
    });
  }
  markScrollingTables();
  window.addEventListener('resize', markScrollingTables);

  // A form that came back with errors: start at the first field to fix (its error is part of its description).
  var firstInvalid = document.querySelector('input[aria-invalid="true"]');
  if (firstInvalid && !document.querySelector('[autofocus]')) {
    firstInvalid.focus();
  }

  // Prevent double submission of forms. A submit cancelled in a confirm dialog (the listeners above ran first) is
  // not one: its buttons stay usable.
  document.querySelectorAll('form[method="post"]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (event.defaultPrevented) {
        return;
      }
      window.setTimeout(function () {
        form.querySelectorAll('button[type="submit"]').forEach(function (b) {
          b.disabled = true;
        });
      }, 0);
    });
  });

  // Time zone. The browser's zone goes into a `tz` cookie, which the server reads for visitors and accounts without a
  // zone of their own; an account without one is sent it once (the hidden form the layout renders, CSRF included).
  var zone = '';
  try {
    zone = window.Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    zone = '';
  }
  if (zone && zone.length <= 64) {
    var cookie = 'tz=' + encodeURIComponent(zone);
    if (document.cookie.split('; ').indexOf(cookie) === -1) {
      document.cookie =
        cookie + '; path=/; max-age=31536000; SameSite=Lax' + (window.location.protocol === 'https:' ? '; Secure' : '');
    }
    var report = document.querySelector('form[data-report-time-zone]');
    if (report && window.fetch && window.URLSearchParams) {
      report.elements.namedItem('time_zone').value = zone;
      window
        .fetch(report.action, {
          method: 'POST',
          credentials: 'same-origin',
          body: new window.URLSearchParams(new window.FormData(report)),
        })
        .catch(function () {
          // Not saved this time: the next page tries again, and the cookie already shows the right times.
        });
    }
    // The account page: "Detect from this browser" chooses the browser's zone in the list; saving is the user's click.
    document.querySelectorAll('button[data-detect-time-zone]').forEach(function (button) {
      var select = button.form && button.form.elements.namedItem('time_zone');
      if (!select) {
        return;
      }
      button.hidden = false;
      button.addEventListener('click', function () {
        var found = Array.prototype.some.call(select.options, function (option) {
          return option.value === zone;
        });
        if (!found) {
          select.add(new window.Option(zone.replace(/_/g, ' '), zone));
        }
        select.value = zone;
        select.focus();
      });
    });
  }
})();
