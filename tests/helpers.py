import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

EXTERNAL_REF = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def count_queries(client, url) -> tuple[int, list[str]]:
    """GET `url` once to warm up caches, then again counting queries; return (count, sql)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def assert_same_query_count(client, small_url, large_url):
    """The page costs the same number of queries for small and large data; dumps SQL if not."""
    small, small_sql = count_queries(client, small_url)
    large, large_sql = count_queries(client, large_url)
    assert small == large, "query counts differ: %d vs %d\n--- small\n%s\n--- large\n%s" % (
        small, large, "\n".join(small_sql), "\n".join(large_sql)
    )
    return small
