"""The Google writer: Gemini generateContent, ``google-genai`` SDK.

Not the older ``google-generativeai`` package: it is deprecated and no
longer supported.
"""

import httpx2
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from .errors import OutputRejected, WriterFailed, WriterRateLimited
from .writers import ProviderWriter, Reply, parse_retry_after


class GoogleWriter(ProviderWriter):
    name = "google"

    def write(self, request):
        # NOTE: no retry_options, so the SDK makes one attempt; the fallback
        # chain decides. Transport errors surface as httpx2 exceptions.
        options = types.HttpOptions(
            base_url=self.base_url,
            api_version="v1beta",
            timeout=int(self.timeout * 1000),
        )
        config = types.GenerateContentConfig(
            system_instruction=request.system_prompt(),
            response_mime_type="application/json",
            max_output_tokens=self.max_output_tokens,
        )

        try:
            with genai.Client(
                api_key=self._key, vertexai=False, http_options=options
            ) as client:
                response = client.models.generate_content(
                    model=self.model, contents=request.user_prompt(), config=config
                )
        except genai_errors.APIError as exc:
            if exc.code == 429:
                headers = exc.response.headers if exc.response is not None else {}
                raise WriterRateLimited(self.name, parse_retry_after(headers)) from None
            raise WriterFailed(self.name, f"HTTP {exc.code}", status=exc.code) from None
        except httpx2.TimeoutException:
            raise WriterFailed(self.name, f"no answer in {self.timeout:g}s") from None
        except httpx2.TransportError:
            raise WriterFailed(self.name, "could not connect") from None
        except ValueError as exc:
            raise WriterFailed(self.name, type(exc).__name__) from None

        candidates = response.candidates or []
        if candidates and candidates[0].finish_reason == types.FinishReason.MAX_TOKENS:
            raise OutputRejected(self.name, "the answer was cut off at the token limit")

        usage = response.usage_metadata
        return Reply(
            response.text or "",
            response.model_version or self.model,
            getattr(usage, "prompt_token_count", None),
            getattr(usage, "candidates_token_count", None),
        )
