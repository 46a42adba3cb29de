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

  // Attachment limits checked before the upload (<input type="file" data-max-bytes data-max-files>): a file the
  // server would refuse is named under the field and the form is not sent, so nothing typed is lost to a 413.
  // The server still checks every file.
  function megabytes(bytes) {
    var mb = bytes / 1024 / 1024;
    return (mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10) + ' MB';
  }
  function fileProblem(input) {
    var maxBytes = parseInt(input.getAttribute('data-max-bytes') || '0', 10);
    var maxFiles = parseInt(input.getAttribute('data-max-files') || '0', 10);
    var files = Array.prototype.slice.call(input.files || []);
    if (maxFiles && files.length > maxFiles) {
      return 'Choose at most ' + maxFiles + ' files (you chose ' + files.length + ').';
    }
    for (var i = 0; i < files.length; i += 1) {
      if (maxBytes && files[i].size > maxBytes) {
        return (
          '“' +
          files[i].name +
          '” is ' +
          megabytes(files[i].size) +
          ': files can be up to ' +
          megabytes(maxBytes) +
          ' each. Choose a smaller file; your text stays here.'
        );
      }
    }
    return '';
  }
  function showFileProblem(input) {
    var problem = fileProblem(input);
    var errorId = input.id + '-client-error';
    var error = document.getElementById(errorId);
    var describedBy = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (id) {
      return id && id !== errorId;
    });
    var field = input.closest('.field');
    if (problem) {
      if (!error) {
        error = document.createElement('p');
        error.className = 'field__error';
        error.id = errorId;
        error.setAttribute('role', 'alert');
        input.parentNode.insertBefore(error, input.nextSibling);
      }
      error.textContent = problem;
      describedBy.push(errorId);
      input.setAttribute('aria-invalid', 'true');
      if (field) {
        field.classList.add('field--error');
      }
    } else {
      if (error) {
        error.parentNode.removeChild(error);
      }
      // A server-side error for the previous choice no longer applies either.
      if (!input.form.querySelector('#' + input.id + '-error')) {
        input.removeAttribute('aria-invalid');
        if (field) {
          field.classList.remove('field--error');
        }
      }
    }
    input.setAttribute('aria-describedby', describedBy.join(' '));
    return problem;
  }
  document.querySelectorAll('input[type="file"][data-max-bytes]').forEach(function (input) {
    input.addEventListener('change', function () {
      showFileProblem(input);
    });
    if (input.form) {
      input.form.addEventListener('submit', function (event) {
        if (showFileProblem(input)) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  });

  // A live count of the characters left under fields with data-counter (the subject), shown near the limit.
  // maxlength still stops the typing; the server checks the length again.
  document.querySelectorAll('input[data-counter][maxlength]').forEach(function (input) {
    var max = parseInt(input.getAttribute('maxlength'), 10);
    var showFrom = Math.max(0, max - Math.max(20, Math.round(max / 5)));
    var counter = document.createElement('p');
    counter.className = 'field__counter';
    counter.id = input.id + '-counter';
    counter.setAttribute('aria-live', 'polite');
    input.parentNode.insertBefore(counter, input.nextSibling);
    var lastAnnounced = null;
    function update() {
      var used = input.value.length;
      var left = max - used;
      counter.hidden = used < showFrom;
      counter.setAttribute('data-level', left <= 0 ? 'full' : left <= 10 ? 'low' : '');
      var text =
        used < showFrom
          ? ''
          : left <= 0
            ? 'No characters left (' + max + ' at most)'
            : left + ' of ' + max + ' characters left';
      // Speak only at a few steps, not at every keystroke.
      var step = left <= 0 ? 0 : left <= 10 ? 10 : left <= 20 ? 20 : null;
      if (text !== counter.textContent) {
        counter.setAttribute('aria-live', step !== lastAnnounced ? 'polite' : 'off');
        lastAnnounced = step;
        counter.textContent = text;
      }
    }
    input.addEventListener('input', update);
    update();
  });

  // Drafts of the ticket forms (<form data-draft="<user>:<form>:<ticket>">), kept in this browser's localStorage
  // while they are typed, so a lost session, a refused upload or a closed tab loses nothing. Restored when the form
  // comes back empty; cleared when the server confirms the form was sent (a success message after the submit).
  // Kept for a week at most, and only for the user who typed them.
  var DRAFT_PREFIX = 'parapet:draft:';
  var DRAFT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
  var SENT_KEY = 'parapet:draft-sent';
  function storage(kind) {
    try {
      var s = window[kind];
      var probe = DRAFT_PREFIX + 'probe';
      s.setItem(probe, '1');
      s.removeItem(probe);
      return s;
    } catch {
      return null;
    }
  }
  var drafts = storage('localStorage');
  var session = storage('sessionStorage');
  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.name === '_csrf' || el.disabled) {
        return false;
      }
      var tag = el.tagName.toLowerCase();
      var type = (el.type || '').toLowerCase();
      return (
        tag === 'textarea' ||
        tag === 'select' ||
        (tag === 'input' && ['text', 'email', 'search', 'checkbox', 'radio'].indexOf(type) !== -1)
      );
    });
  }
  function isTyped(el) {
    return (el.tagName.toLowerCase() === 'textarea' || el.type === 'text' || el.type === 'email') && el.value !== '';
  }
  function readDraft(key) {
    try {
      var draft = JSON.parse(drafts.getItem(DRAFT_PREFIX + key) || 'null');
      if (draft && typeof draft === 'object' && draft.fields && Date.now() - draft.savedAt < DRAFT_MAX_AGE_MS) {
        return draft;
      }
    } catch {
      // A damaged draft is dropped below.
    }
    drafts.removeItem(DRAFT_PREFIX + key);
    return null;
  }
  if (drafts) {
    // Drop the drafts that have expired, whichever form they belong to.
    for (var i = drafts.length - 1; i >= 0; i -= 1) {
      var stored = drafts.key(i);
      if (stored && stored.indexOf(DRAFT_PREFIX) === 0) {
        readDraft(stored.slice(DRAFT_PREFIX.length));
      }
    }
    // The form sent from the previous page: a success message here means the server took it.
    var sent = session ? session.getItem(SENT_KEY) : null;
    if (sent) {
      session.removeItem(SENT_KEY);
      if (document.querySelector('main .alert--success')) {
        drafts.removeItem(DRAFT_PREFIX + sent);
      }
    }
  }
  document.querySelectorAll('form[data-draft]').forEach(function (form) {
    if (!drafts) {
      return;
    }
    var key = form.getAttribute('data-draft');
    var fields = draftFields(form);
    function save() {
      var values = {};
      var typed = false;
      fields.forEach(function (el) {
        if (el.type === 'checkbox' || el.type === 'radio') {
          values[el.name + '=' + el.value] = el.checked;
        } else {
          values[el.name] = el.value;
        }
        typed = typed || isTyped(el);
      });
      try {
        if (typed) {
          drafts.setItem(DRAFT_PREFIX + key, JSON.stringify({ savedAt: Date.now(), fields: values }));
        } else {
          drafts.removeItem(DRAFT_PREFIX + key);
        }
      } catch {
        // Storage full or refused: the form still works without a draft.
      }
    }
    var draft = readDraft(key);
    // A form the server filled (it came back with errors) shows what was sent; that becomes the draft.
    var filled = fields.some(isTyped);
    if (draft && !filled) {
      fields.forEach(function (el) {
        if (el.type === 'checkbox' || el.type === 'radio') {
          var checked = draft.fields[el.name + '=' + el.value];
          if (typeof checked === 'boolean') {
            el.checked = checked;
          }
        } else if (typeof draft.fields[el.name] === 'string') {
          el.value = draft.fields[el.name];
        }
      });
      var note = document.createElement('p');
      note.className = 'draft-note';
      note.setAttribute('role', 'status');
      note.appendChild(document.createTextNode('Draft restored: the text you typed here before. '));
      var discard = document.createElement('button');
      discard.type = 'button';
      discard.className = 'link-button';
      discard.textContent = 'Discard draft';
      discard.addEventListener('click', function () {
        drafts.removeItem(DRAFT_PREFIX + key);
        form.reset();
        fields.forEach(function (el) {
          if (el.tagName.toLowerCase() === 'textarea' || el.type === 'text' || el.type === 'email') {
            el.value = '';
          }
        });
        note.textContent = 'Draft discarded.';
        var first = fields[0];
        if (first) {
          first.focus();
        }
      });
      note.appendChild(discard);
      form.insertBefore(note, form.firstChild);
    } else if (filled) {
      save();
    }
    form.addEventListener('input', save);
    form.addEventListener('change', save);
    form.addEventListener('submit', function () {
      save();
      if (session) {
        session.setItem(SENT_KEY, key);
      }
    });
  });

  // Double submission: once a form's submit really goes ahead (no confirm cancelled, no check refused it), its
  // buttons are disabled and a second submit is refused. Listening on the document, this runs after the form's own
  // listeners (confirm, file checks), so it sees whether they prevented the submit.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || (form.getAttribute('method') || '').toLowerCase() !== 'post') {
      return;
    }
    if (form.hasAttribute('data-submitting')) {
      event.preventDefault();
      return;
    }
    if (event.defaultPrevented) {
      return;
    }
    form.setAttribute('data-submitting', '');
    // Disabled after this turn, so the clicked button's name and value are still sent.
    window.setTimeout(function () {
      form.querySelectorAll('button[type="submit"]').forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  });
  // Back to a page from the browser's cache (back/forward): its forms work again.
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll('form[data-submitting]').forEach(function (form) {
      form.removeAttribute('data-submitting');
      form.querySelectorAll('button[type="submit"]').forEach(function (b) {
        b.disabled = false;
      });
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
