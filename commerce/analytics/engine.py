"""Opening DuckDB for analytics: nothing is ever downloaded.

DuckDB would fetch a missing extension from its CDN on first use; both
automatic install and automatic load are switched off, and the postgres
scanner is installed from the ``duckdb-extension-postgres`` wheel, whose
binary only loads into the DuckDB release it was built for (1.5.5).
"""

import logging
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

SCANNER = "postgres_scanner"
_OFFLINE = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


def connect(path=None, *, extension_dir=None, threads=None):
    """A DuckDB connection to ``path`` (a file) or to memory when None."""
    config = dict(_OFFLINE)
    if extension_dir is not None:
        Path(extension_dir).mkdir(parents=True, exist_ok=True)
        config["extension_directory"] = str(extension_dir)
    if threads:
        config["threads"] = threads
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path) if path is not None else ":memory:", config=config)


def scanner_file():
    """The postgres extension binary shipped in the wheel, or None."""
    try:
        import duckdb_extension_postgres
    except ImportError:
        return None
    version = f"v{duckdb.__version__}"
    found = (
        Path(duckdb_extension_postgres.__file__).parent
        / "extensions"
        / version
        / "postgres.duckdb_extension"
    )
    return found if found.is_file() else None


def load_scanner(con):
    """Install (once per extension folder) and load the postgres scanner.

    Returns False when the wheel is missing or built for another DuckDB.
    """
    installed = con.execute(
        "SELECT installed, loaded FROM duckdb_extensions() WHERE extension_name = ?",
        [SCANNER],
    ).fetchone()
    if installed and installed[1]:
        return True

    try:
        if not (installed and installed[0]):
            binary = scanner_file()
            if binary is None:
                return False
            path = str(binary).replace("'", "''")
            con.execute(f"INSTALL '{path}'")
        con.execute(f"LOAD {SCANNER}")
    except duckdb.Error as exc:
        log.warning("postgres scanner unavailable: %s", str(exc).splitlines()[0])
        return False
    return True
