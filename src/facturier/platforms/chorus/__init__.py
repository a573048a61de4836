"""Chorus Pro (B2G): the PISTE API client, the submission outbox, statuses, and a simulator."""
