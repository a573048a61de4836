"""Models of the platforms app."""

# The sending side (outbox, directory cache, statuses) lives in its own module, registered with this app.
from facturier.platforms.submissions import (  # noqa: E402, F401
    DirectoryEntry,
    EventSource,
    PlatformState,
    PlatformStatusEvent,
    PlatformSubmission,
    PollCursor,
    SubmissionKind,
    SubmissionState,
    WebhookDelivery,
)
