import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache


@pytest.fixture(autouse=True)
def own_tna_cache(monkeypatch):
    """Third-next-available's cache (REPORTS_TNA_CACHE_SECONDS) private to each test: the shared
    Redis outlives a re-created test database, whose ids start again from 1. (A name of its own:
    LocMemCache instances of one name share their storage.)"""
    from reports.selectors import operations

    monkeypatch.setattr(operations, "cache", LocMemCache(f"reports-tna-{uuid.uuid4()}", {}))
