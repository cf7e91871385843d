"""The browser tests' server answers pages at the same time, as a browser asks for them (a page,
its favicon, an htmx request). On SQLite in memory every request thread shares the test's one
connection; two statements interleaved on it gave a page another's rows (a user loaded twice: a
500 in a browser test). tests/conftest.py's `live_server` lets one request at a time use it."""

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.test import Client


def test_pages_asked_for_at_once_all_answer(transactional_world, live_server):
    client = Client()
    client.force_login(transactional_world.officer1)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def fetch(path):
        request = urllib.request.Request(live_server.url + path, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    paths = ["/", "/cases/", "/favicon.ico", "/notifications/"] * 15
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(fetch, paths))
    statuses = {path: set() for path in paths}
    for path, (status, _) in zip(paths, answers):
        statuses[path].add(status)
    assert statuses == {"/": {200}, "/cases/": {200}, "/favicon.ico": {404}, "/notifications/": {200}}
    # every work bench is the officer's own, named in its navigation
    officer = transactional_world.officer1
    name = officer.get_full_name() or officer.get_username()
    benches = [body for (_, body), path in zip(answers, paths) if path == "/"]
    assert len(benches) == 15 and all(name in body for body in benches)
