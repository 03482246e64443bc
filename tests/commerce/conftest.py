import pytest


@pytest.fixture
def tenant(make_store):
    return make_store()
