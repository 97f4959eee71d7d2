"""gunicorn settings for `make serve` and production; every value can be overridden
from the environment (see README, "Deploying")."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("THREADS", "1"))
timeout = int(os.environ.get("TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then, against slow leaks
max_requests_jitter = 200
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket sits at one path per user: a second server on the machine
# (see README, "Running on two servers") would fight over it. Nothing here uses it.
control_socket_disable = True
