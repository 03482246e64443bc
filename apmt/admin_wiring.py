"""Starting the owners' dashboard: ``apmt serve admin``.

This is where the dashboard gets what it may not import itself. The layer
contract puts ``admin_app`` and ``etl`` side by side, so the dashboard's
Import and Export pages call a ``Services`` of ``etl`` functions built here, in
the top layer, and handed to ``admin_app.asgi.create_app``.

``apmt serve admin [--host H] [--port P]`` calls ``serve_admin``; so does
``python -m apmt.admin_wiring``, which the browser test uses.
"""

import argparse
import functools

from admin_app.asgi import create_app
from admin_app.config import load_settings
from admin_app.services import ServiceRefused, Services
from apmt.import_commands import PRODUCT_FORMATS, SALES_FORMATS, STOCK_FORMATS

DEFAULT_HOST = "127.0.0.1"


def build_services():
    """The ``etl`` imports, undo and exports, refusing with ServiceRefused."""
    from etl import batches, catalogue_import, exports, sales_import, stock_import

    return Services(
        import_products=_refusing(catalogue_import.import_products),
        import_stock=_refusing(stock_import.import_stock),
        import_sales=_refusing(sales_import.import_sales),
        list_batches=_refusing(batches.list_batches),
        undo_import=_refusing(batches.undo_import),
        export=_refusing(exports.export),
        import_formats={
            "products": PRODUCT_FORMATS,
            "stock": STOCK_FORMATS,
            "sales": SALES_FORMATS,
        },
        export_whats=exports.WHATS,
        export_formats=exports.FORMATS,
        export_layouts=exports.LAYOUTS,
    )


def streamlit_options(settings, host, port):
    """Streamlit settings for the dashboard, whatever ``.streamlit/`` says."""
    return {
        "server.address": host,
        "server.port": int(port),
        "server.headless": True,
        "server.allowedHosts": list(settings.allowed_hosts),
        "server.maxUploadSize": settings.max_upload_mb,
        "server.enableXsrfProtection": True,
        "server.enableAgentApi": False,
        "server.enableStaticServing": False,
        "server.runOnSave": False,
        "server.fileWatcherType": "none",
        "browser.gatherUsageStats": False,
        "client.showErrorDetails": "none",
        "client.toolbarMode": "viewer",
        "global.developmentMode": False,
    }


def serve_admin(host=None, port=None):
    """Serve the dashboard on ``host:port`` until interrupted (blocks).

    ``host`` defaults to 127.0.0.1 and ``port`` to the platform's admin port.
    """
    from tenancy import Platform

    host = host or DEFAULT_HOST

    platform = Platform.open()
    platform.check_keys()
    settings = load_settings(platform.config)
    app = create_app(platform, settings=settings, services=build_services())
    try:
        app.run(
            config=streamlit_options(settings, host, port or platform.config.admin_port)
        )
    finally:
        platform.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Serve the owners' dashboard.")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    serve_admin(args.host, args.port)


def _refusing(call):
    from commerce.errors import CommerceError
    from etl.exports import ExportError
    from etl.records import EtlError

    @functools.wraps(call)
    def refusing(*args, **kwargs):
        try:
            return call(*args, **kwargs)
        except (EtlError, ExportError, CommerceError) as exc:
            raise ServiceRefused(getattr(exc, "reason", None) or str(exc)) from None

    return refusing


if __name__ == "__main__":
    main()
