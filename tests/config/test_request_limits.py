"""Request bodies are bounded per route while they are read, before authentication or parsing."""

import asyncio

import pytest

from facturier.config.request_limits import SIGN_IN_MAX_BYTES, LimitRequestBodyASGI, limit_for


def _run(app, path: str, headers: dict[str, str], chunks: list[bytes]):
    """Drive an ASGI app with a request; what it sent back, and how many body bytes were handed over."""
    sent, handed = [], []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        message = queue.pop(0) if queue else {"type": "http.disconnect"}
        handed.append(len(message.get("body", b"")))
        return message

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path,
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    return sent, sum(handed)


class DjangoLike:
    """Reads the whole body first, as Django's ASGI handler does, then answers 200."""

    def __init__(self):
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def test_a_declared_length_over_the_limit_is_refused_unread():
    inner = DjangoLike()
    sent, handed = _run(LimitRequestBodyASGI(inner), "/login/", {"Content-Length": str(150 * 1024 * 1024)},
                        [b"x" * 1024])
    assert sent[0]["status"] == 413 and not inner.called and handed == 0
    assert "trop volumineuse" in sent[1]["body"].decode()


def test_a_chunked_body_is_cut_at_the_limit_of_its_route():
    inner = DjangoLike()
    chunks = [b"x" * 4096] * 1000  # 4 MB announced by nobody
    sent, handed = _run(LimitRequestBodyASGI(inner), "/login/", {"Transfer-Encoding": "chunked",
                                                                 "Accept-Language": "en"}, chunks)
    assert sent[0]["status"] == 413 and handed <= SIGN_IN_MAX_BYTES + 4096
    assert "too large" in sent[1]["body"].decode()


def test_a_body_within_the_limit_goes_through():
    inner = DjangoLike()
    sent, _ = _run(LimitRequestBodyASGI(inner), "/documents/new/", {"Content-Length": "2048"}, [b"x" * 2048])
    assert sent[0]["status"] == 200


def test_a_malformed_length_is_refused():
    sent, _ = _run(LimitRequestBodyASGI(DjangoLike()), "/documents/new/", {"Content-Length": "12, 99"}, [b""])
    assert sent[0]["status"] == 413


def test_sign_in_pages_take_a_few_kilobytes_and_the_rest_the_configured_limit(settings):
    settings.FACTURIER_REQUEST_MAX_BYTES = 3 * 1024 * 1024
    assert limit_for("/login/") == limit_for("/admin/login/") == limit_for("/portal/acme/login/") == SIGN_IN_MAX_BYTES
    assert limit_for("/consent/abc/accept/") == SIGN_IN_MAX_BYTES
    assert limit_for("/settings/certificate/") == 3 * 1024 * 1024


@pytest.mark.django_db
def test_an_oversized_certificate_upload_is_refused_before_it_is_read(client, settings):
    settings.FACTURIER_REQUEST_MAX_BYTES = 256 * 1024
    body = b"x" * (512 * 1024)
    response = client.generic("POST", "/settings/certificate/", body, content_type="application/octet-stream")
    assert response.status_code == 413


@pytest.mark.django_db
def test_an_anonymous_oversized_post_to_the_sign_in_page_is_refused(client):
    response = client.post("/login/", {"username": "a@b.test", "password": "x" * (64 * 1024)})
    assert response.status_code == 413
