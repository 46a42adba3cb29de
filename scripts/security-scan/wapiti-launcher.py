#!/usr/bin/env python3
"""Runs Debian bookworm's wapiti 3.0.4 with two fixes, then hands over to wapiti's own entry point unchanged.

1. `-x/--exclude` builds its regular expression as `<pattern>\\Z(?ms)`; Python 3.11 refuses global flags that are
   not at the start of an expression ("re.error: global flags not at the start of the expression"), so any `-x`
   crashes the crawler. The flags are moved to the front, as later wapiti versions do.

2. Multipart forms (Parapet's new-ticket and reply forms, which take attachments) are sent with *every* field as a
   file part: requests turns `files=[["_csrf", "token"], ...]` into `name="_csrf"; filename="_csrf"`, so the
   server sees a file called "_csrf" and no token, and answers 403 to every request wapiti sends to those forms.
   Nothing behind the CSRF check would be tested, and the csrf module would wrongly report "CSRF token '_csrf' is
   not properly checked in backend" (the original and the forged request both get the same 403). Plain fields are
   sent as plain form fields here (a `(None, value)` part has no filename), files as files.
"""
import re
import sys

import wapitiCore.net.crawler as crawler
from requests.exceptions import ConnectionError, ReadTimeout
from wapitiCore.net.page import Page


def wildcard_translate(pattern):
    return re.compile(r"(?ms)" + "".join(".*" if char == "*" else re.escape(char) for char in pattern) + r"\Z")


crawler.wildcard_translate = wildcard_translate

_original_post = crawler.Crawler.post


@crawler.retry(delay=1, times=3)
def post(self, form, follow_redirects=False, headers=None):
    if not form.is_multipart:
        return _original_post(self, form, follow_redirects=follow_redirects, headers=headers)
    form_headers = dict(headers) if isinstance(headers, dict) else {}
    if form.referer:
        form_headers["referer"] = form.referer
    parts = [[name, (None, value)] for name, value in form.post_params] + list(form.file_params)
    try:
        response = self._session.post(
            form.path,
            params=form.get_params,
            files=parts,
            headers=form_headers,
            timeout=self._timeout,
            allow_redirects=follow_redirects,
            verify=self.secure,
        )
    except ConnectionError as exception:
        if "Read timed out" in str(exception):
            raise ReadTimeout("Request time out")
        raise exception
    return Page(response)


crawler.Crawler.post = post

from wapitiCore.main.wapiti import wapiti_main  # noqa: E402  (after the patches, on purpose)

if __name__ == "__main__":
    sys.argv[0] = "wapiti"
    sys.exit(wapiti_main())
