"""English date formats: Django's, with a 24-hour clock as in the French interface."""

from django.conf.locale.en.formats import *  # noqa: F403

DATETIME_FORMAT = "N j, Y, H:i"
