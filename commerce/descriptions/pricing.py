"""What a generation costs in AI credits, from the tokens the provider reports.

One credit is about one US cent of provider list price. A generation costs
``ceil(tokens_in × input rate + tokens_out × output rate)`` credits, at least
one; rates are credits per million tokens. A model missing from the table is
priced at its provider's dearest listed rate, so a new model is never sold
below cost. The offline writer and a store's own key cost nothing.

Before a call, ``estimate_credits`` gives the most the call can cost: every
byte of the prompt counted as a token (no tokenizer makes more tokens than
bytes) and the full output token limit. That amount is held, so a debit can
never exceed it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    input_per_mtok: int
    output_per_mtok: int


# NOTE: list prices as published by the providers when this was written;
# billing owns these numbers and should review them with each price change.
RATES = {
    ("anthropic", "claude-sonnet-4-5"): Rate(300, 1500),
    ("anthropic", "claude-haiku-4-5"): Rate(100, 500),
    ("anthropic", "claude-opus-4-1"): Rate(1500, 7500),
    ("openai", "gpt-4.1"): Rate(200, 800),
    ("openai", "gpt-4.1-mini"): Rate(40, 160),
    ("openai", "gpt-4o-mini"): Rate(15, 60),
    ("google", "gemini-2.5-flash"): Rate(30, 250),
    ("google", "gemini-2.5-pro"): Rate(125, 1000),
}
PROMPT_OVERHEAD_TOKENS = 64
MINIMUM_CREDITS = 1


def rate_for(provider, model):
    """The model's rate, or its provider's dearest one when it is not listed."""
    rate = RATES.get((provider, model))
    if rate is not None:
        return rate
    known = [r for (p, _), r in RATES.items() if p == provider]
    return max(known, key=lambda r: (r.output_per_mtok, r.input_per_mtok))


def price_credits(provider, model, tokens_in, tokens_out):
    """Credits for one successful generation with this usage."""
    rate = rate_for(provider, model)
    micro = tokens_in * rate.input_per_mtok + tokens_out * rate.output_per_mtok
    return max(MINIMUM_CREDITS, -(-micro // 1_000_000))


def estimate_credits(writer, request, max_output_tokens):
    """The most a call by ``writer`` for ``request`` can cost; 0 if unpaid."""
    if not writer.paid:
        return 0
    return price_credits(
        writer.name, writer.model, prompt_token_bound(request), max_output_tokens
    )


def prompt_token_bound(request):
    """An upper bound on the prompt's tokens: its UTF-8 bytes plus overhead."""
    text = request.system_prompt() + request.user_prompt()
    return len(text.encode()) + PROMPT_OVERHEAD_TOKENS


def charge_for(writer, reply, request):
    """Credits to debit for a successful ``reply``; usage unknown: estimated.

    A provider that reports no usage is charged for the prompt's bound and
    the answer's length in bytes, which over-counts rather than under.
    """
    if not writer.paid:
        return 0
    tokens_in = reply.tokens_in
    if tokens_in is None:
        tokens_in = prompt_token_bound(request)
    tokens_out = reply.tokens_out
    if tokens_out is None:
        tokens_out = len(reply.text.encode())
    return price_credits(writer.name, writer.model, tokens_in, tokens_out)
