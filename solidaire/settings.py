"""Settings for solidaire, read from the environment (django-environ).

With no environment set, the embedded default runs: SQLite file, Celery tasks executed
eagerly in process, files on local disk, e-mails printed to the console. Production and
CI set ``DATABASE_URL`` and ``REDIS_URL``. Every variable is documented in the README.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------------------
# DJANGO_ENV=production is the one switch of a real deployment: SECRET_KEY becomes required,
# DEBUG may not be on, and the security settings below default to their strict values
# (HTTPS only, secure cookies, HSTS). Anything else is the embedded/development mode.
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"DJANGO_ENV must be development or production, not {DJANGO_ENV!r}")
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")
# No secret in the repository: production refuses to start without SECRET_KEY; the embedded
# demo and the tests use a key that says what it is (a deploy check refuses it too).
DEV_SECRET_KEY = "embedded-demo-key-not-for-production-use-0123456789"
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured("Set SECRET_KEY: it is required when DJANGO_ENV=production.")
else:
    SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "simple_history",
    "import_export",
    "solidaire",
    "centres",
    "appels",
    "equipements",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Records who viewed personal data (ACCESS_LOG_URL_NAMES): one insert per logged view.
    "centres.middleware.AccessLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "solidaire.urls"
WSGI_APPLICATION = "solidaire.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "centres.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Brute-force protection: 5 failures for one e-mail from one IP address lock that pair for
# 15 minutes (an attacker elsewhere cannot lock a real user out for good). Behind a proxy,
# set AXES_IPWARE_PROXY_COUNT to the number of proxies so the client IP is read correctly.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client IP: REMOTE_ADDR when the app is reached directly; behind N reverse proxies
# that each append to X-Forwarded-For, set AXES_IPWARE_PROXY_COUNT=N so the address the
# first proxy saw is used (else every client shares the proxy's address, and a lockout hits
# everyone). Computed by solidaire.client_ip (see why there).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "solidaire.client_ip.client_ip_address"
LOGIN_URL = "centres:login"
LOGIN_REDIRECT_URL = "appels:dashboard"
LOGOUT_REDIRECT_URL = "equipements:home"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Argon2id for new passwords, with OWASP's parameters (solidaire/hashers.py: m=19 MiB, t=2,
# p=1); older hashes (Django's Argon2 defaults, PBKDF2, scrypt) still verify and are upgraded
# at the next login.
PASSWORD_HASHERS = [
    "solidaire.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["solidaire.formats"]

# --- Files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Attachments, agreements and invoices: never under a public URL, served by a checked view.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    # Production images run collectstatic and set the manifest backend (see Dockerfile).
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND", default="django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Celery -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A late-acked task is redelivered after this delay if its worker vanished.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 3600)}
# django-simple-history: history is an audit trail, read-only. Reverting a record from the
# admin would bypass the services (a decision, a score, a status) — disabled.
SIMPLE_HISTORY_REVERT_DISABLED = True

# django-import-export: importing needs the model's "add" permission; uploaded files wait
# for the confirmation in the cache (Redis when configured), so any web process can finish.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"
IMPORT_EXPORT_SKIP_ADMIN_ACTION_EXPORT_UI = True

# Periodic jobs run by ``celery beat`` (one beat process per deployment).
CELERY_BEAT_SCHEDULE = {
    "review-reminders": {"task": "appels.tasks.send_review_reminders", "schedule": 3600.0},
    "pending-outcomes": {"task": "appels.tasks.send_pending_outcomes", "schedule": 600.0},
    # RGPD retention (PERSONAL_DATA_RETENTION_DAYS), every night at 03:30 (TIME_ZONE).
    "purge-personal-data": {
        "task": "appels.tasks.purge_personal_data",
        "schedule": crontab(hour=3, minute=30),
    },
}

# Redis away: cache reads miss and writes are skipped (solidaire/cache.py), never a 500.
CACHES = {
    "default": (
        {
            "BACKEND": "solidaire.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- E-mail -----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="solidaire <ne-pas-repondre@solidaire.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Forms ------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security (stricter values are the production defaults; see SECURITY in the README) --
# Sessions last a working day at most, and end when the browser closes (shared computers in
# the centres) unless SESSION_EXPIRE_AT_BROWSER_CLOSE=0.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = env.bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # no script reads the token from the cookie
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
# HTTPS: redirect plain HTTP, then HSTS. Behind a TLS-terminating proxy, name the header it
# sets (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto): only if the proxy always sets or strips
# it, since a client could otherwise send it itself.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
# Preloading commits the whole domain to HTTPS in browsers for months: the operator decides
# (SECURE_HSTS_PRELOAD=1, then submit the domain). Until then Django's reminder about it
# (security.W021) is silenced: that choice is made here, not forgotten.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): our own files only, no inline script, no inline
# style but the <style> inside the server-drawn SVG charts, marked with the request's nonce
# (``with_csp_nonce`` filter). CSP_REPORT_ONLY=1 sends the policy as report-only instead.
_csp = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        # Style attributes written by third-party templates, allowed by exact hash only:
        # django-import-export's export page ("padding: 0;", "font-weight: bold;"),
        # django-simple-history's paginator ("border-top: 0"), pygal's tooltip ("opacity: 0"),
        # the import preview's diff (diff-match-patch: "background:#e6ffe6;" / "#ffe6e6;").
        "style-src-attr": [
            "'unsafe-hashes'",
            "'sha256-AFyijjilwBx8kC+SMDLzasw2VV9MWz1VYVQ8xIgdMlA='",
            "'sha256-S0qL3AVCJ6EdYX2E0yOmH+5YvauOwNAxIl4pJ/0IUUg='",
            "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",
            "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",
            "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
            "'sha256-hcUjSVUy038f+0X6P07svdIrF4humQP+99vTrfpW7yw='",
        ],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
else:
    CONTENT_SECURITY_POLICY = _csp

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}

# --- Domain -----------------------------------------------------------------------------
# Share of satisfied answers counts "satisfait" and "très satisfait" (scale of four).
SURVEY_SATISFIED_MIN = 3
# The public home's figures and charts are cached this long (seconds; 0: never), under a key
# that changes with the published calls, deliveries and survey answers.
PUBLIC_FIGURES_CACHE_SECONDS = env.int("PUBLIC_FIGURES_CACHE_SECONDS", default=300)
# The home's rendered content (open calls, impact section) and the open calls' page for
# visitors without a centre: unset, a minute at most and never longer than the figures.
# The programme managers' impact dashboard: unset, as long as the
# public figures (it shows when its figures were computed and can recompute them at once).
HOME_CACHE_SECONDS = env.int("HOME_CACHE_SECONDS", default=None)
IMPACT_FIGURES_CACHE_SECONDS = env.int("IMPACT_FIGURES_CACHE_SECONDS", default=None)
# Environmental impact of reuse, per device of a pack kind (``PackType.Kind``) delivered
# second-hand (any grade but "new"): the e-waste not produced (kg, the device kept in use
# rather than discarded) and the greenhouse gases not emitted (kg CO2e, the manufacture of
# a new equivalent avoided, net of refurbishing). Orders of magnitude, rounded down, from:
# - ADEME & Arcep, « Évaluation de l'impact environnemental du numérique en France » (2022)
#   and ADEME Base Empreinte (manufacture of a new desktop with its screen, a laptop, a
#   tablet: roughly 250-350, 150-250 and 60-90 kg CO2e);
# - ADEME, « Évaluation de l'impact environnemental d'un ensemble de produits
#   reconditionnés » (September 2022): refurbishing keeps most of that manufacturing
#   footprint avoided, refurbishing itself weighing roughly 10-20 %;
# - device masses: a desktop unit ~9 kg (the demo's models) + a 19-inch screen ~3 kg, a
#   laptop ~2 kg, a 10-inch tablet ~0.5 kg.
# These were not re-checked online when written: verify them against the current Base
# Empreinte before publishing, and change them here only (every figure reads this table).
REUSE_IMPACT_FACTORS = {
    "desktop": {"waste_kg": "12", "co2e_kg": "200"},
    "laptop": {"waste_kg": "2", "co2e_kg": "120"},
    "tablet": {"waste_kg": "0.5", "co2e_kg": "50"},
}
# The admin lives under its own prefix, configurable in production.
ADMIN_URL = env.str("ADMIN_URL", default="gestion/")
# Privacy (RGPD). Rejected and withdrawn applications keep their personal data this many
# days after the decision (or withdrawal); ``purge_personal_data`` (daily, Celery beat or
# cron) then anonymises them, keeping the figures (status, dates, department, quantities).
PERSONAL_DATA_RETENTION_DAYS = env.int("PERSONAL_DATA_RETENTION_DAYS", default=730)
# Pages showing personal data whose views are recorded in the access log (centres.AccessLog):
# URL name -> (model label, URL keyword argument holding the object's id).
ACCESS_LOG_URL_NAMES = {
    "admin:centres_user_change": ("centres.user", "object_id"),
    "admin:centres_centre_change": ("centres.centre", "object_id"),
    "admin:appels_application_change": ("appels.application", "object_id"),
    "admin:appels_application_attachment": ("appels.application", "object_id"),
    "admin:solidaire_document_download": ("solidaire.document", "object_id"),
    "appels:attachment_download": ("appels.application", "pk"),
    "appels:agreement_pdf": ("appels.application", "pk"),
    "equipements:invoice_pdf": ("equipements.invoice", "pk"),
}
# Absolute links in e-mails sent by workers (no request there): scheme and host, no slash.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")
# Reviewers with work left get one reminder this many days before the review deadline.
REVIEW_REMINDER_DAYS = env.int("REVIEW_REMINDER_DAYS", default=3)
# A published outcome still not e-mailed after this many seconds is sent again (beat).
OUTCOMES_RETRY_AFTER = env.int("OUTCOMES_RETRY_AFTER", default=600)
# The outbox of e-mails (solidaire/outbox.py): an e-mail still unsent this many seconds after
# its event is sent again by the beat sweeper, up to OUTBOX_MAX_ATTEMPTS times.
OUTBOX_RETRY_AFTER = env.int("OUTBOX_RETRY_AFTER", default=300)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Two reviewers' totals (out of 100) further apart than this flag a disagreement.
REVIEW_DISAGREEMENT_POINTS = env.int("REVIEW_DISAGREEMENT_POINTS", default=25)

# Invoicing: series, payment terms and VAT copied onto each invoice when issued. Operators
# that are non-profits are usually exempt (art. 261-7-1° b of the CGI).
INVOICE_SERIES = env.str("INVOICE_SERIES", default="F")
CREDIT_NOTE_SERIES = env.str("CREDIT_NOTE_SERIES", default="AV")
INVOICE_PAYMENT_DAYS = env.int("INVOICE_PAYMENT_DAYS", default=30)
INVOICE_VAT_RATE = env.str("INVOICE_VAT_RATE", default="0")
INVOICE_VAT_EXEMPTION_MENTION = env.str(
    "INVOICE_VAT_EXEMPTION_MENTION", default="TVA non applicable, art. 261-7-1° b du CGI"
)

# Documents (agreements, invoices, shipment sheets) rendered by the workers. The issuer is
# the operator named on agreements and shipment sheets (invoices copy the call's operator).
DOCUMENTS_LANGUAGE = env.str("DOCUMENTS_LANGUAGE", default="fr")
# Processes rendering the chunks of one bulk PDF (300 shipment sheets) side by side; unset:
# as many as the machine's cores, four at most; 1: in the worker's own process.
DOCUMENTS_BULK_PROCESSES = env.int("DOCUMENTS_BULK_PROCESSES", default=None)
DOCUMENTS_ISSUER_NAME = env.str("DOCUMENTS_ISSUER_NAME", default="Solidatech")
DOCUMENTS_ISSUER_LEGAL_FORM = env.str(
    "DOCUMENTS_ISSUER_LEGAL_FORM", default="Association loi 1901 reconnue d’intérêt général"
)
DOCUMENTS_ISSUER_ADDRESS = env.str("DOCUMENTS_ISSUER_ADDRESS", default="10 rue de la Solidarité")
DOCUMENTS_ISSUER_POSTAL_CODE = env.str("DOCUMENTS_ISSUER_POSTAL_CODE", default="75011")
DOCUMENTS_ISSUER_CITY = env.str("DOCUMENTS_ISSUER_CITY", default="Paris")
DOCUMENTS_ISSUER_SIRET = env.str("DOCUMENTS_ISSUER_SIRET", default="")
DOCUMENTS_ISSUER_VAT_NUMBER = env.str("DOCUMENTS_ISSUER_VAT_NUMBER", default="")
DOCUMENTS_ISSUER_EMAIL = env.str("DOCUMENTS_ISSUER_EMAIL", default="contact@solidaire.localhost")
DOCUMENTS_ISSUER_PHONE = env.str("DOCUMENTS_ISSUER_PHONE", default="")
DOCUMENTS_ISSUER_IBAN = env.str("DOCUMENTS_ISSUER_IBAN", default="")
# Legal mentions of invoices to professional buyers (art. L441-10 and D441-5 of the code de
# commerce): the late-payment penalty rate and the fixed recovery fee.
INVOICE_LATE_PENALTY_MENTION = env.str(
    "INVOICE_LATE_PENALTY_MENTION",
    default="En cas de retard de paiement, pénalités au taux de trois fois le taux d’intérêt "
    "légal, exigibles sans rappel",
)
INVOICE_RECOVERY_FEE = env.str("INVOICE_RECOVERY_FEE", default="40.00")
INVOICE_EARLY_PAYMENT_MENTION = env.str(
    "INVOICE_EARLY_PAYMENT_MENTION", default="Pas d’escompte pour paiement anticipé."
)
# Legal ceilings, per device and VAT included, on reselling IT equipment that public bodies
# gave for free (art. L. 3212-2 CG3P; 3DS law art. 178). Dated rows citing their source:
# issuing an invoice refuses a line above the row in force on the issue date. Keys are the
# pack types' kinds (desktop = PC with screen, keyboard and mouse).
RESALE_PRICE_CEILINGS = [
    {
        "since": "2022-11-10",
        "source": "décret du 7 novembre 2022, JORF du 9 novembre 2022",
        "ceilings": {
            "laptop": "180.00",
            "desktop": "150.00",
            "tablet": "100.00",
            "smartphone": "100.00",
            "screen": "30.00",
            "printer": "30.00",
            "multifunction": "170.00",
        },
    },
]
RESALE_PRICE_CEILINGS_ENFORCED = env.bool("RESALE_PRICE_CEILINGS_ENFORCED", default=True)
# A pending document not done after this many seconds is sent again by the sweeper (beat,
# every DOCUMENTS_SWEEP_INTERVAL seconds); a failed one too, up to DOCUMENTS_MAX_ATTEMPTS.
DOCUMENTS_RETRY_AFTER = env.int("DOCUMENTS_RETRY_AFTER", default=300)
DOCUMENTS_SWEEP_INTERVAL = env.int("DOCUMENTS_SWEEP_INTERVAL", default=60)
DOCUMENTS_MAX_ATTEMPTS = env.int("DOCUMENTS_MAX_ATTEMPTS", default=5)
# With eager Celery (the embedded default) documents render in process after commit; false
# leaves them pending (for a worker or the sweeper), as the test suite does outside its
# document tests.
DOCUMENTS_RENDER_EAGERLY = env.bool("DOCUMENTS_RENDER_EAGERLY", default=True)
# Sending a task when the broker is down: fail within about a second, the sweeper resends.
DOCUMENTS_ENQUEUE_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# One reminder to answer the satisfaction survey, this many days after reception.
SURVEY_REMINDER_DAYS = env.int("SURVEY_REMINDER_DAYS", default=14)
CELERY_BEAT_SCHEDULE["survey-reminders"] = {
    "task": "equipements.tasks.send_survey_reminders",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["sweep-outbox"] = {"task": "solidaire.tasks.sweep_outbox", "schedule": 120.0}
CELERY_BEAT_SCHEDULE["sweep-documents"] = {
    "task": "solidaire.tasks.sweep_documents",
    "schedule": float(DOCUMENTS_SWEEP_INTERVAL),
}

# Password of the demo accounts created by ``seed_demo`` (a local demo, never production).
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-solidaire")
