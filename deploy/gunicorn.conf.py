"""Gunicorn settings shared by the three HTTP services (local runs, tests and the container image)."""
import os

from prometheus_client import multiprocess

workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
# Threads let one worker wait on the broker's ack for one webhook while answering others.
# gthread, timing each request's wait for a thread: ingest refuses what waited past INGEST_QUEUE_BUDGET_SECONDS.
worker_class = "shared.gunicorn_worker.QueueTimedWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # the app's own JSON logs and metrics cover requests, without personal data in paths
# Gunicorn 27's control socket defaults to one path under $HOME for every master on the host, so the three apps
# would bind (and on exit unlink) the same socket; nothing here uses it, and a container's HOME may be read-only.
control_socket_disable = True


def child_exit(server, worker):
    # Multiprocess metrics: a dead worker's gauges must stop counting (prometheus_client docs).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
