"""French date formats: Django's, with "à" between the date and the time."""

from django.conf.locale.fr.formats import *  # noqa: F403

DATETIME_FORMAT = r"j F Y \à H:i"
