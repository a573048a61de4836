from django.db import models  # noqa: F401

# Imports (upload, ZIP, API)


# Import by e-mail
