"""Fixtures for the description writers: a provider stub, settings, a product."""

import io
import secrets

import pytest
from PIL import Image

from commerce import catalogue
from commerce.descriptions.settings import AISettings, provider_settings
from commerce.images import add_image
from tests.commerce.descriptions.stubs import ProviderStub

TEST_KEYS = {
    "anthropic": "sk-ant-test-platform-key-0001",
    "openai": "sk-test-platform-openai-key-0002",
    "google": "AIza-test-platform-google-key-0003",
}
# Plans the credit tests control exactly: one with none included, one with 50.
PLANS = {"ai-none": 0, "ai-fifty": 50}


@pytest.fixture
def stub():
    server = ProviderStub().start()
    yield server
    server.stop()


def settings_for(
    stub,
    *,
    order=("anthropic", "openai", "google"),
    keys=TEST_KEYS,
    models=None,
    timeout=2.0,
    retry_cap=2.0,
):
    """Settings with every provider's base URL at ``stub``."""
    urls = {"anthropic": stub.url, "openai": f"{stub.url}/v1", "google": stub.url}
    models = models or {}
    providers = {
        name: provider_settings(
            name, keys.get(name), models.get(name, f"stub-{name}-model"), url
        )
        for name, url in urls.items()
    }
    return AISettings(providers, order=order, timeout=timeout, retry_cap=retry_cap)


@pytest.fixture
def ai_settings(stub):
    return settings_for(stub)


@pytest.fixture
def offline_settings(stub):
    """No platform keys: only the offline writer (and stores' own keys)."""
    return settings_for(stub, keys={})


@pytest.fixture(scope="session")
def ai_plans(platform):
    with platform.registry() as conn:
        for code, credits in PLANS.items():
            conn.execute(
                """INSERT INTO plans (code, name, monthly_price, currency,
                                      monthly_ai_credits)
                   VALUES (%s, %s, 0, 'USD', %s) ON CONFLICT (code) DO NOTHING""",
                (code, code, credits),
            )
    return PLANS


@pytest.fixture
def shop(make_store, ai_plans):
    """A store whose plan includes 50 credits a month."""
    return make_store(plan="ai-fifty")


@pytest.fixture
def broke_shop(make_store, ai_plans):
    """A store whose plan includes no credits."""
    return make_store(plan="ai-none")


def make_product(tenant, title="Stoneware Mug", **extra):
    fields = {
        "title": title,
        "vendor": "Kiln & Co",
        "product_type": "Mug",
        "tags": ["kitchen", "gift"],
        "description_html": "<p>Hand thrown.</p>",
        "seo_title": "Old SEO title",
        "seo_description": "Old meta description",
        **extra,
    }
    sku = secrets.token_hex(4)
    variants = [
        {"sku": f"{sku}-B", "option1_name": "Colour", "option1": "Blue",
         "price": "18.00"},
        {"sku": f"{sku}-G", "option1_name": "Colour", "option1": "Green",
         "price": "19.50"},
    ]  # fmt: skip
    return catalogue.create_product(tenant, fields, variants)


def add_photo(tenant, product_id, alt_text="old alt"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return add_image(tenant, product_id, buffer.getvalue(), alt_text=alt_text)


@pytest.fixture
def product_id(shop):
    product_id = make_product(shop)
    add_photo(shop, product_id)
    return product_id
