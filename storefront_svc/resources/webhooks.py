"""Payment providers' notifications: not taken yet."""

import falcon


class Webhooks:
    # Providers sign their bodies instead of carrying our form token.
    csrf_exempt = True

    def on_post(self, req, resp, provider):
        # TODO(#5): verify the provider's signature on the raw body, record
        # the event in the inbox and apply it once.
        raise falcon.HTTPNotImplemented(
            title="Not implemented",
            description=f"Webhooks from {provider[:32]} are not accepted yet.",
        )
