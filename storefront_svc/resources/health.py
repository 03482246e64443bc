"""Liveness: the process answers. It reads no database, on purpose: a
database outage must not make the load balancer restart every worker."""


class Health:
    def on_get(self, req, resp):
        resp.media = {"status": "ok"}
        resp.cache_control = ["no-store"]
