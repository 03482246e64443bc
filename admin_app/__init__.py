"""admin_app package."""
