"""Payment providers' notifications, and the shopper's return from their pages.

``POST /webhooks/<provider>`` reads the body once, as bytes, and hands it to
the payments inbox untouched: every provider signs the exact bytes, so the
body is never parsed here. Answers: 200 once recorded, 400 for a signature
that does not verify (nothing is kept), 404 for a provider the store has not
enabled, 503 when the store's database or the provider's API failed, so that
the provider delivers again.
"""

import falcon

from commerce import payments


class PaymentWebhooks:
    # Providers sign their bodies instead of carrying our form token.
    csrf_exempt = True

    def __init__(self, inbox):
        self._inbox = inbox

    def on_post(self, req, resp, provider):
        body = req.bounded_stream.read()
        try:
            receipt = self._inbox.receive(
                req.context.tenant, provider, body, req.headers
            )
        except payments.WebhookRejected:
            raise falcon.HTTPBadRequest(title="Signature refused") from None
        except (payments.UnknownProvider, payments.ProviderNotConfigured):
            raise falcon.HTTPNotFound() from None
        except (payments.InboxUnavailable, payments.ProviderUnavailable):
            raise falcon.HTTPServiceUnavailable(retry_after=30) from None

        resp.status = falcon.HTTP_200
        resp.media = {"received": receipt.status}


class PaymentReturn:
    """``GET /orders/{token}/paid?provider=..``: where a provider sends the shopper."""

    def __init__(self, providers):
        self._providers = providers

    def on_get(self, req, resp, token):
        provider = req.get_param("provider") or ""
        try:
            payments.confirm_return(
                req.context.tenant, token, provider, self._providers
            )
        except (payments.UnknownProvider, payments.ProviderNotConfigured):
            pass
        raise falcon.HTTPSeeOther(f"/orders/{token}")
