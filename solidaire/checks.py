"""Deployment checks of our own, run by ``manage.py check --deploy`` next to Django's."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_mode(app_configs, **kwargs):
    """A deployment runs with DJANGO_ENV=production and its own SECRET_KEY."""
    problems = []
    if not getattr(settings, "PRODUCTION", False):
        problems.append(
            Warning(
                "DJANGO_ENV is not 'production': the security settings keep their "
                "development defaults.",
                hint="Set DJANGO_ENV=production (see the README's configuration table).",
                id="solidaire.W001",
            )
        )
    if getattr(settings, "DEV_SECRET_KEY", None) == settings.SECRET_KEY:
        problems.append(
            Warning(
                "SECRET_KEY is the embedded demo key, published in the repository.",
                hint="Set SECRET_KEY to at least 50 random characters.",
                id="solidaire.W002",
            )
        )
    return problems
