import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
django_application = get_asgi_application()

from facturier.config.request_limits import LimitRequestBodyASGI  # noqa: E402  (needs the settings)

# Bodies are bounded per route while they arrive, before Django spools them (request_limits.py).
application = LimitRequestBodyASGI(django_application)
