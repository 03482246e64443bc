"""The OpenAI writer: Chat Completions (POST /v1/chat/completions), ``openai`` SDK.

Chat Completions rather than Responses: its JSON mode is the same across
OpenAI's models and the compatible gateways a base URL may point at.
"""

import openai

from .errors import OutputRejected, WriterFailed, WriterRateLimited
from .writers import ProviderWriter, Reply, parse_retry_after


class OpenAIWriter(ProviderWriter):
    name = "openai"

    def write(self, request):
        # NOTE: the SDK's own retries are off; the fallback chain decides.
        client = openai.OpenAI(
            api_key=self._key,
            base_url=self.base_url,
            timeout=self.timeout,
            max_retries=0,
        )

        try:
            with client:
                completion = client.chat.completions.create(
                    model=self.model,
                    max_completion_tokens=self.max_output_tokens,
                    response_format={"type": "json_object"},
                    messages=[
                        {"role": "system", "content": request.system_prompt()},
                        {"role": "user", "content": request.user_prompt()},
                    ],
                )
        except openai.RateLimitError as exc:
            raise WriterRateLimited(
                self.name, parse_retry_after(exc.response.headers)
            ) from None
        except openai.APIStatusError as exc:
            raise WriterFailed(
                self.name, f"HTTP {exc.status_code}", status=exc.status_code
            ) from None
        except openai.APITimeoutError:
            raise WriterFailed(self.name, f"no answer in {self.timeout:g}s") from None
        except openai.APIConnectionError:
            raise WriterFailed(self.name, "could not connect") from None
        except openai.OpenAIError as exc:
            raise WriterFailed(self.name, type(exc).__name__) from None

        if not completion.choices:
            raise OutputRejected(self.name, "the answer has no choices")
        choice = completion.choices[0]
        if choice.finish_reason == "length":
            raise OutputRejected(self.name, "the answer was cut off at the token limit")

        usage = completion.usage
        return Reply(
            choice.message.content or "",
            completion.model or self.model,
            getattr(usage, "prompt_tokens", None),
            getattr(usage, "completion_tokens", None),
        )
