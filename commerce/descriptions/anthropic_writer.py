"""The Anthropic writer: the Messages API (POST /v1/messages), ``anthropic`` SDK."""

import anthropic

from .errors import OutputRejected, WriterFailed, WriterRateLimited
from .writers import ProviderWriter, Reply, parse_retry_after


class AnthropicWriter(ProviderWriter):
    name = "anthropic"

    def write(self, request):
        # NOTE: the SDK's own retries are off; the fallback chain decides
        # whether to wait, retry or move on, and how long the owner waits.
        client = anthropic.Anthropic(
            api_key=self._key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=0,
        )

        try:
            with client:
                message = client.messages.create(
                    model=self.model,
                    max_tokens=self.max_output_tokens,
                    system=request.system_prompt(),
                    messages=[{"role": "user", "content": request.user_prompt()}],
                )
        except anthropic.RateLimitError as exc:
            raise WriterRateLimited(
                self.name, parse_retry_after(exc.response.headers)
            ) from None
        except anthropic.APIStatusError as exc:
            raise WriterFailed(
                self.name, f"HTTP {exc.status_code}", status=exc.status_code
            ) from None
        except anthropic.APITimeoutError:
            raise WriterFailed(self.name, f"no answer in {self.timeout:g}s") from None
        except anthropic.APIConnectionError:
            raise WriterFailed(self.name, "could not connect") from None
        except anthropic.AnthropicError as exc:
            raise WriterFailed(self.name, type(exc).__name__) from None

        if message.stop_reason == "max_tokens":
            raise OutputRejected(self.name, "the answer was cut off at the token limit")

        text = "".join(b.text for b in message.content if b.type == "text")
        usage = message.usage
        return Reply(
            text,
            message.model or self.model,
            getattr(usage, "input_tokens", None),
            getattr(usage, "output_tokens", None),
        )
