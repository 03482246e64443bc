"""What each provider's API answers, as routes on a ``Stub``; state is kept
in plain dicts that tests read and change."""

import itertools
from decimal import Decimal


class StripeApi:
    def __init__(self, stub):
        self.sessions, self.intents, self.by_key = {}, {}, {}
        self._ids = itertools.count(1)
        stub.route("POST", r"/v1/checkout/sessions", self.create)
        stub.route("GET", r"/v1/checkout/sessions/([^/]+)", self.read)
        stub.route("GET", r"/v1/checkout/sessions", self.list)
        stub.route("GET", r"/v1/payment_intents/([^/]+)", self.intent)
        stub.route("POST", r"/v1/refunds", self.refund)

    def create(self, request):
        key = request.headers.get("idempotency-key")
        if key in self.by_key:
            return 200, self.sessions[self.by_key[key]]
        form = request.form()
        number = next(self._ids)
        session = {
            "id": f"cs_test_{number}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{number}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": sum(
                int(form[f"line_items[{i}][price_data][unit_amount]"])
                * int(form[f"line_items[{i}][quantity]"])
                for i in range(50)
                if f"line_items[{i}][quantity]" in form
            ),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {
                "tenant_id": form.get("metadata[tenant_id]"),
                "order_id": form.get("metadata[order_id]"),
            },
            "payment_intent": None,
            "created": 1,
        }
        self.sessions[session["id"]] = session
        self.by_key[key] = session["id"]
        return 200, session

    def pay(self, session_id):
        """The shopper pays: the session completes with a payment intent."""
        session = self.sessions[session_id]
        session.update(
            status="complete", payment_status="paid", payment_intent=f"pi_{session_id}"
        )
        return session

    def read(self, request):
        return 200, self.sessions[request.match.group(1)]

    def list(self, request):
        data = list(self.sessions.values())
        return 200, {"object": "list", "data": data, "has_more": False, "url": "/x"}

    def intent(self, request):
        return 200, self.intents[request.match.group(1)]

    def refund(self, request):
        form = request.form()
        refund = {
            "id": f"re_{next(self._ids)}",
            "object": "refund",
            "amount": int(form["amount"]),
            "currency": "usd",
            "payment_intent": form["payment_intent"],
            "status": "succeeded",
        }
        return 200, refund


class SquareApi:
    def __init__(self, stub):
        self.links, self.payments, self.orders = {}, {}, {}
        self._ids = itertools.count(1)
        stub.route(
            "GET", r"/v2/locations/main", lambda r: (200, {"location": {"id": "L1"}})
        )
        stub.route("POST", r"/v2/online-checkout/payment-links", self.create)
        stub.route("GET", r"/v2/online-checkout/payment-links/([^/]+)", self.link)
        stub.route("GET", r"/v2/orders/([^/]+)", self.order)
        stub.route("GET", r"/v2/payments/([^/]+)", self.payment)
        stub.route("GET", r"/v2/payments", self.list)
        stub.route("POST", r"/v2/refunds", self.refund)

    def create(self, request):
        number = next(self._ids)
        self.last = request.json()
        link = {
            "id": f"PL{number}",
            "version": 1,
            "url": f"https://square.link/u/PL{number}",
            "order_id": f"SQO{number}",
        }
        self.links[link["id"]] = link
        self.orders[link["order_id"]] = {"id": link["order_id"], "tenders": []}
        return 200, {"payment_link": link}

    def pay(self, link_id, amount, currency="USD", status="COMPLETED"):
        link = self.links[link_id]
        payment = {
            "id": f"SQP{link_id}",
            "status": status,
            "amount_money": {"amount": amount, "currency": currency},
            "total_money": {"amount": amount, "currency": currency},
            "order_id": link["order_id"],
            "location_id": "L1",
        }
        self.payments[payment["id"]] = payment
        self.orders[link["order_id"]]["tenders"] = [
            {"id": "T1", "payment_id": payment["id"]}
        ]
        return payment

    def link(self, request):
        return 200, {"payment_link": self.links[request.match.group(1)]}

    def order(self, request):
        return 200, {
            "order": {"location_id": "L1", **self.orders[request.match.group(1)]}
        }

    def payment(self, request):
        return 200, {"payment": self.payments[request.match.group(1)]}

    def list(self, request):
        return 200, {"payments": list(self.payments.values())}

    def refund(self, request):
        sent = request.json()
        return 200, {
            "refund": {
                "id": f"SQR{next(self._ids)}",
                "status": "COMPLETED",
                "amount_money": sent["amount_money"],
                "payment_id": sent["payment_id"],
            }
        }


class PaypalApi:
    def __init__(self, stub, pem=None, verification="SUCCESS"):
        self.orders, self.token_calls, self.verification = {}, 0, verification
        self._ids = itertools.count(1)
        stub.route("POST", r"/v1/oauth2/token", self.token)
        stub.route("POST", r"/v2/checkout/orders", self.create)
        stub.route("GET", r"/v2/checkout/orders/([^/]+)", self.read)
        stub.route("POST", r"/v2/checkout/orders/([^/]+)/capture", self.capture)
        stub.route("POST", r"/v2/payments/captures/([^/]+)/refund", self.refund)
        stub.route("POST", r"/v1/notifications/verify-webhook-signature", self.verify)
        if pem is not None:
            stub.route(
                "GET",
                r"/v1/notifications/certs/[^/]+",
                lambda r: (200, pem, {"type": "application/x-pem-file"}),
            )

    def token(self, request):
        self.token_calls += 1
        return 200, {
            "access_token": "A21-token",
            "token_type": "Bearer",
            "expires_in": 32400,
        }

    def create(self, request):
        sent = request.json()
        number = next(self._ids)
        order = {
            "id": f"PPO{number}",
            "status": "PAYER_ACTION_REQUIRED",
            "purchase_units": sent["purchase_units"],
            "links": [
                {
                    "href": "https://www.sandbox.paypal.com/checkoutnow"
                    f"?token=PPO{number}",
                    "rel": "payer-action",
                    "method": "GET",
                }
            ],
        }
        self.orders[order["id"]] = order
        return 200, order

    def approve(self, order_id):
        self.orders[order_id]["status"] = "APPROVED"

    def read(self, request):
        return 200, self.orders[request.match.group(1)]

    def capture(self, request):
        order = self.orders[request.match.group(1)]
        if order["status"] == "APPROVED":
            unit = order["purchase_units"][0]
            order["status"] = "COMPLETED"
            unit["payments"] = {
                "captures": [
                    {
                        "id": f"CAP{order['id']}",
                        "status": "COMPLETED",
                        "amount": unit["amount"],
                        "custom_id": unit.get("custom_id"),
                    }
                ]
            }
        return 201, order

    def refund(self, request):
        sent = request.json() if request.body else {}
        return 201, {
            "id": f"PPR{next(self._ids)}",
            "status": "COMPLETED",
            "amount": sent.get("amount", {"value": "0", "currency_code": "USD"}),
        }

    def verify(self, request):
        self.last_verify = request.body
        return 200, {"verification_status": self.verification}


class CloverApi:
    def __init__(self, stub, merchant="MID1"):
        self.payments, self.checkouts = {}, {}
        self._ids = itertools.count(1)
        base = f"/v3/merchants/{merchant}/payments"
        stub.route("POST", r"/invoicingcheckoutservice/v1/checkouts", self.create)
        stub.route("GET", base + r"/([^/]+)", self.payment)
        stub.route("GET", base, self.list)
        stub.route("POST", r"/v1/refunds", self.refund)

    def create(self, request):
        self.last = request
        number = next(self._ids)
        session = {
            "checkoutSessionId": f"CS{number}",
            "href": f"https://checkout.sandbox.dev.clover.com/checkout/CS{number}",
        }
        self.checkouts[session["checkoutSessionId"]] = request.json()
        return 200, session

    def pay(self, payment_id, amount, result="SUCCESS"):
        self.payments[payment_id] = {
            "id": payment_id,
            "amount": amount,
            "result": result,
            "order": {"id": f"CO{payment_id}"},
        }

    def payment(self, request):
        found = self.payments.get(request.match.group(1))
        return (200, found) if found else (404, {"message": "not found"})

    def list(self, request):
        return 200, {"elements": list(self.payments.values())}

    def refund(self, request):
        sent = request.json()
        payment = self.payments[sent["charge"]]
        payment.setdefault("refunds", {"elements": []})["elements"].append(
            {"id": "CR1", "amount": sent["amount"]}
        )
        return 200, {
            "id": f"CR{next(self._ids)}",
            "amount": sent["amount"],
            "status": "succeeded",
        }


def minor(value, exponent=2):
    return int(Decimal(value).scaleb(exponent))
