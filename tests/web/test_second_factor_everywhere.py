"""The second factor holds on every route: a password alone opens only the routes listed as open.

The walk covers every URL pattern of the project (the company screens, the administration site,
the mail catcher's mailbox, the portal's company side…), with dummy arguments: the gate answers
before any view runs, so the arguments need not name real records.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from facturier.web.middleware import OPEN_NAMESPACES, OPEN_ROUTES

PASSWORD = "correct horse battery"
EXPECTED_OPEN = {
    "web:login", "web:logout", "web:otp_verify", "web:otp_enrol", "web:language", "web:password_reset",
    "web:password_reset_done", "web:password_reset_confirm", "web:password_reset_complete",
    "admin:login", "admin:logout", "consent_accept", "consent_refuse", "consent_address", "tsa",
}
SAMPLES = {"int": "7", "str": "x7", "slug": "acme", "path": "x7/y", "uuid": str(uuid.uuid4())}
REGEX_CANDIDATES = ["7", "x7", "accounts", "acme", "x7/y"]


def _sample_group(regex: str) -> str:
    for candidate in REGEX_CANDIDATES:
        if re.fullmatch(regex, candidate):
            return candidate
    raise AssertionError(f"no sample value for the group {regex!r}")


def _sample_regex(regex: str) -> str:
    """A path matching a route's regex: each named group replaced by a value it accepts."""
    body = regex.removeprefix("^").removesuffix("\\Z").removesuffix("$")
    out, i = "", 0
    while i < len(body):
        if body.startswith("(?P<", i):
            depth, j = 0, i
            while True:
                depth += {"(": 1, ")": -1}.get(body[j], 0) if body[j - 1:j] != "\\" else 0
                j += 1
                if depth == 0:
                    break
            inner = body[body.index(">", i) + 1:j - 1]
            out += _sample_group(inner)
            i = j
        else:
            out += body[i].replace("\\", "")
            i += 1
    return out


def _sample(pattern) -> str:
    route = str(pattern.pattern)
    if hasattr(pattern.pattern, "converters") and not route.startswith("^") and "(?P<" not in route:
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)
    return _sample_regex(route)


def every_route(resolver=None, prefix="/", namespace=""):
    """(view name or path, sample path, the pattern) for every URL pattern of the project."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from every_route(pattern, prefix + _sample(pattern), ns)
        elif isinstance(pattern, URLPattern):
            path = prefix + _sample(pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name or path
            yield name, path, pattern


ROUTES = sorted({(name, path) for name, path, _pattern in every_route()})


def test_the_walk_reaches_every_pattern_and_each_sample_resolves_to_its_own_pattern():
    walked = list(every_route())
    assert len(walked) > 100  # the admin alone has dozens: the walk is not silently empty
    for _name, path, pattern in walked:
        match = resolve(path)
        # the REST API registers one pattern per operation of a path (GET and POST /customers): the first answers
        assert match.func == pattern.callback or match.namespaces[:1] == ["api"], path


def test_the_open_routes_are_exactly_the_reviewed_list():
    assert OPEN_ROUTES == EXPECTED_OPEN
    assert {"portal", "api"} == OPEN_NAMESPACES  # the REST API: each call authenticated by its key alone


def _is_open(name: str, path: str) -> bool:
    match = resolve(path)
    return match.view_name in EXPECTED_OPEN or match.namespaces[:1] in (["portal"], ["api"])


@pytest.fixture
def password_only_with_authenticator(client, owner):
    """The owner has an authenticator, is staff and superuser (the admin would open), signed in with the password."""
    from facturier.accounts.services import authenticator_confirm, authenticator_start

    user = owner.user
    user.is_staff = user.is_superuser = True
    user.save()
    authenticator_confirm(device=authenticator_start(user=user))
    response = client.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/2fa/")
    return client


def test_a_password_alone_opens_no_closed_route(password_only_with_authenticator):
    client = password_only_with_authenticator
    opened, closed = [], 0
    for name, path in ROUTES:
        if _is_open(name, path):
            continue
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code != 302 or not response["Location"].startswith("/2fa/?next="):
                opened.append((method.__name__, name, path, response.status_code))
            closed += 1
    assert opened == []
    assert closed > 200


@pytest.fixture
def member_without_authenticator_where_2fa_is_mandatory(client, org):
    from facturier.web.models import OrganisationSecurity

    clerk = org.member("clerk")
    clerk.user.is_staff = True
    clerk.user.save()
    OrganisationSecurity.objects.create(organisation=org, require_2fa=True)
    response = client.post("/login/", {"username": clerk.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_member_of_an_organisation_with_mandatory_2fa_is_sent_to_enrol_from_every_closed_route(
        member_without_authenticator_where_2fa_is_mandatory):
    client = member_without_authenticator_where_2fa_is_mandatory
    opened = []
    for name, path in ROUTES:
        if _is_open(name, path):
            continue
        response = client.get(path)
        if response.status_code != 302 or response["Location"] != "/2fa/setup/":
            opened.append((name, path, response.status_code))
    assert opened == []


def test_the_open_routes_answer_a_password_only_user_without_error(password_only_with_authenticator):
    client = password_only_with_authenticator
    for name, path in ROUTES:
        if _is_open(name, path) and name not in {"web:logout", "admin:logout"}:
            assert client.get(path).status_code < 500, path


def test_the_mandatory_rule_of_any_organisation_applies_whichever_is_current(client, org, other_org):
    """The rule of an organisation the user is not currently working in still applies."""
    from facturier.accounts.models import Role
    from facturier.accounts.services import membership_add
    from facturier.web.models import OrganisationSecurity

    membership_add(organisation=other_org, user=org.owner.user, role=Role.VIEWER)
    OrganisationSecurity.objects.create(organisation=other_org, require_2fa=True)
    client.post("/login/", {"username": org.owner.user.email, "password": PASSWORD})
    assert client.get("/mail/")["Location"] == "/2fa/setup/"


def test_after_the_code_the_admin_and_the_mailbox_open(password_only_with_authenticator, owner):
    from django_otp.oath import totp

    from facturier.accounts.models import Authenticator

    client = password_only_with_authenticator
    device = Authenticator.objects.get(user=owner.user)
    code = f"{totp(device.bin_key, step=device.STEP, digits=device.DIGITS):06d}"
    assert client.post("/2fa/", {"token": code, "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/mail/").status_code == 200
