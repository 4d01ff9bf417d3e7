"""Explicit lifecycles: a status ``TextChoices`` plus a table of allowed moves.

Every transition is a service function that calls :func:`transition`; nothing else
writes a status field.
"""

from django.utils.translation import gettext as _

from .errors import TransitionError


def check_transition(current, target, table, label):
    """Raise :class:`TransitionError` unless ``current -> target`` is in ``table``."""
    if target not in table.get(current, ()):
        raise TransitionError(
            _("%(object)s : passage de « %(current)s » à « %(target)s » impossible.")
            % {
                "object": label,
                "current": table.choices_label(current),
                "target": table.choices_label(target),
            },
            code="invalid_transition",
        )


class Lifecycle(dict):
    """A mapping ``status -> allowed next statuses`` that knows its choices' labels."""

    def __init__(self, choices, moves):
        super().__init__({state: tuple(nexts) for state, nexts in moves.items()})
        self.choices = choices
        unknown = (set(self) | {n for nexts in self.values() for n in nexts}) - set(choices.values)
        if unknown:
            raise ValueError(f"Unknown states in lifecycle: {sorted(unknown)}")

    def choices_label(self, value):
        return str(self.choices(value).label) if value in self.choices.values else value

    def can_move(self, current, target):
        return target in self.get(current, ())


def transition(obj, target, lifecycle, *, field="status", save=True, update_fields=()):
    """Move ``obj`` to ``target`` after checking ``lifecycle``; the caller holds the lock."""
    check_transition(getattr(obj, field), target, lifecycle, str(obj))
    setattr(obj, field, target)
    if save:
        obj.save(update_fields=[field, *update_fields])
    return obj
