"""Errors raised by services when a request is not allowed by the domain rules."""

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A use case refused for a business reason; the message is translatable and shown."""


class TransitionError(DomainError):
    """A lifecycle move that the state table does not allow."""
