"""The platform's own pages, on the bare base domain."""


class PlatformHome:
    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        self._views.render(req, resp, "platform/home.html")


class PlatformPrivacy:
    """The platform's privacy policy; its latest version is always here."""

    def __init__(self, views, policy):
        self._views = views
        self._policy = policy

    def on_get(self, req, resp):
        self._views.render(req, resp, "platform/privacy.html", policy=self._policy)
