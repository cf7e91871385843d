import re
import threading

from django.db import connection, connections
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


def run_in_parallel(*jobs):
    """Start every job in its own thread and connection at the same moment; collect results."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # the outcome under test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
