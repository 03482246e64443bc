"""Gunicorn settings of the storefront: ``gunicorn -c storefront_svc/gunicorn.conf.py``.

gthread workers: Falcon's speed shows only with keep-alive, and the threads
wait on PostgreSQL without holding the GIL. Address, workers and threads come
from the storefront's settings; ``--bind`` on the command line wins over them
(``apmt serve storefront --host --port`` uses it). Gunicorn's own access log
is off: the app writes one JSON line per request itself.
"""

from storefront_svc.config import load_storefront_config
from tenancy import load_config
from tenancy.access_logs import access_log_dir

_config = load_storefront_config(load_config())

wsgi_app = "storefront_svc.app:get_app()"
# NOTE: gunicorn's control socket defaults to one path per user, which two
# storefronts on one machine would fight over; nothing of ours uses it.
control_socket_disable = True
bind = [f"{_config.host}:{_config.port}"]
worker_class = "gthread"
workers = _config.workers
threads = _config.threads
keepalive = 5
timeout = 30
graceful_timeout = 20
accesslog = None
errorlog = "-"
forwarded_allow_ips = (
    ",".join(str(net) for net in _config.trusted_proxies) or "127.0.0.1"
)
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(message)s"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        },
        "access_file": {
            "()": "tenancy.access_logs.DailyFileHandler",
            "formatter": "line",
            "folder": access_log_dir(load_config()),
        },
        "default": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "storefront_svc.access": {
            "handlers": ["access", "access_file"],
            "level": "INFO",
            "propagate": False,
        },
        "gunicorn.error": {
            "handlers": ["default"],
            "level": "INFO",
            "propagate": False,
        },
    },
    "root": {"handlers": ["default"], "level": _config.platform.log_level},
}
