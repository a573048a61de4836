"""Fixtures of the screens' tests: signed-in clients of two organisations."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plain_static(settings):
    # Templates use {% static %}; the manifest-less storage needs no collectstatic in tests.
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _users_read_english(db):
    """Screens follow each user's language (French by default); tests read English unless they switch."""
    from django.db.models.signals import pre_save

    from facturier.accounts.models import User

    def english(sender, instance, **kwargs):
        if instance._state.adding:
            instance.language = "en"

    pre_save.connect(english, sender=User, dispatch_uid="web-tests-english")
    yield
    pre_save.disconnect(sender=User, dispatch_uid="web-tests-english")


@pytest.fixture
def signed_in(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture
def client_of(db):
    """A signed-in client for a membership."""
    from django.test import Client

    def make(member):
        c = Client()
        c.force_login(member.user)
        return c

    return make
