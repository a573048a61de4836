"""Signals of the accounts app.

`organisation_terminated` (kwargs `organisation_id`, `at`) is sent once the termination of an
organisation is committed; billing listens to it to end the subscription.
"""

from django.dispatch import Signal

organisation_terminated = Signal()
