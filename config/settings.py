"""One settings module; every deployment difference comes from the environment (django-environ).

Defaults are the embedded demo mode of ``make run``: SQLite, a file-system Celery broker, console email/SMS.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=false, ALLOWED_HOSTS and the HTTPS flags.
"""

import datetime as dt
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="insecure-dev-only-key-change-me" if DEBUG else environ.Env.NOTSET)
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
    "guardian",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "viewflow",
    "axes",
    "core",
    "notifications",
    "workflow",
]

MIDDLEWARE = [
    "core.middleware.KeptPagesMiddleware",  # first: a request that wrote answers after the kept pages' step
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the session, the user or a query: input PostgreSQL cannot store is a 400 here.
    "core.errors.RefuseUnstorableInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "core.middleware.AuthenticationMiddleware",  # Django's, the user read once
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "viewflow.middleware.SiteMiddleware",
    "viewflow.middleware.HotwireTurboMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
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
                "workflow.context_processors.task_counts",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'khuyencong.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite in the embedded mode: wait for the worker's writes instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    VAR_DIR.mkdir(exist_ok=True)
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # Server-side parameter binding, and statements prepared by psycopg after DB_PREPARE_THRESHOLD runs on a
    # connection: PostgreSQL then parses and plans the inbox, transition and audit queries once per connection
    # instead of at every call. Behind PgBouncer in transaction mode (before 1.21) set DB_PREPARE_THRESHOLD=-1
    # to turn preparation off (docs/deploy.md).
    _threshold = env.int("DB_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=env.bool("DB_SERVER_SIDE_BINDING", default=True),
        prepare_threshold=None if _threshold < 0 else _threshold,
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "core.auth_backends.ThrottledLoginBackend",  # django-axes: refuses a locked-out sign-in before the password check
    # ModelBackend that reads the signed-in user and their role names in one statement. Sessions record this
    # path: a session signed in under another backend path is signed out once.
    "core.auth_backends.UserBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None  # django-guardian: no anonymous user row

# Internationalisation: Vietnamese first, English through the language switcher.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")  # never served as static files
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Cache and broker
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        # Django's Redis backend, keeping one client object instead of building one per call (core/cache.py).
        {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Sessions from Redis when there is one (a staff page reads its session there, not in the database), kept in the
# database too: core/sessions.py, which falls back to the database while Redis is down.
SESSION_ENGINE = "core.sessions" if REDIS_URL else "django.contrib.sessions.backends.db"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker"),
        "data_folder_out": str(VAR_DIR / "broker"),
        "processed_folder": str(VAR_DIR / "broker-done"),
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    # A task taken by a worker that died unacknowledged goes back to the queue after CELERY_VISIBILITY_TIMEOUT
    # seconds (the outbox sweep usually delivers it before that). CELERY_TRANSPORT_OPTIONS adds kombu's other
    # redis options, e.g. {"unacked_restore_interval": 1, "unacked_restore_throttle": 1} in the fault tests.
    else {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        **env.json("CELERY_TRANSPORT_OPTIONS", default={}),
    }
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in ("broker", "broker-done", "broker-control"):
        (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Delivery is at least once by the broker and exactly once by the outbox row lock: a task is acknowledged
# only after it ran, and a worker that dies mid-task hands it back to the broker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE: dict = {
    # Sends what is due and retries what failed: a broker outage delays messages, loses none.
    "outbox-sweep": {"task": "notifications.tasks.deliver_pending", "schedule": 60.0},
    # Deadline and progress-report reminders; idempotent, so running it every hour of the office day is safe.
    "reminder-sweep": {
        "task": "workflow.tasks.send_reminders",
        "schedule": crontab(minute=30, hour="7-17"),
    },
}

# Email and SMS
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="khuyencong@localhost")
# console:// prints the message; https://TOKEN@gateway.example/send POSTs JSON with "Authorization: Bearer TOKEN"
# (or the token from SMS_TOKEN). See docs/notifications.md.
SMS_URL = env.str("SMS_URL", default="console://")
SMS_TOKEN = env.str("SMS_TOKEN", default="")
SMS_SENDER = env.str("SMS_SENDER", default="KHUYENCONG")
SMS_TIMEOUT = env.int("SMS_TIMEOUT", default=10)
# Send SMS without diacritics (GSM-7: 160 characters a segment instead of 70).
SMS_ASCII = env.bool("SMS_ASCII", default=True)
NOTIFICATIONS = {
    # A message that failed this many times is marked failed with its last error (admin can requeue it).
    "MAX_ATTEMPTS": env.int("NOTIFY_MAX_ATTEMPTS", default=6),
    # Retry n waits RETRY_BASE_SECONDS * 2**(n-1), at most RETRY_MAX_SECONDS.
    "RETRY_BASE_SECONDS": env.int("NOTIFY_RETRY_BASE_SECONDS", default=60),
    "RETRY_MAX_SECONDS": env.int("NOTIFY_RETRY_MAX_SECONDS", default=6 * 3600),
    # Local hour at which daily digests go out.
    "DIGEST_HOUR": env.int("NOTIFY_DIGEST_HOUR", default=7),
    # The unit head is told when a task is still open this many working days after the overdue notice.
    "ESCALATE_AFTER_WORKING_DAYS": env.int("KC_ESCALATE_AFTER_WORKING_DAYS", default=3),
    # Rows handed to a worker in one delivery task and sent in one transaction (one publish per this many
    # messages after a commit; a worker killed mid-batch hands at most this many back to be sent again).
    "DELIVERY_BATCH": env.int("NOTIFY_DELIVERY_BATCH", default=25),
    # Publish delivery tasks from a background thread, so that no request waits for (or on) the broker.
    "PUBLISH_IN_BACKGROUND": env.bool("NOTIFY_PUBLISH_IN_BACKGROUND", default=True),
    # The publisher thread waits this long for more hand-overs before it publishes, or until it holds
    # PUBLISH_TASKS full delivery tasks (a transition hands over a few rows; each publish costs a round trip to
    # the broker whatever it carries).
    "PUBLISH_WINDOW_SECONDS": env.float("NOTIFY_PUBLISH_WINDOW_SECONDS", default=0.05),
    "PUBLISH_TASKS": env.int("NOTIFY_PUBLISH_TASKS", default=8),
    # After a failed publish (broker down) a process stops publishing for this long; the sweep delivers.
    "BROKER_BACKOFF_SECONDS": env.float("NOTIFY_BROKER_BACKOFF_SECONDS", default=5.0),
    # Links in messages start with this address.
    "SITE_URL": env.str("SITE_URL", default="http://127.0.0.1:8000"),
}

# Security: secure by default when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # one office day
CSRF_COOKIE_HTTPONLY = True  # forms carry the token; no script reads the cookie
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy, Permissions-Policy, Cross-Origin-Resource-Policy: core/middleware.py.

# Login throttling (django-axes, database handler: works while Redis is down). A username is locked for
# one client address after AXES_FAILURE_LIMIT failures in a row, until AXES_COOLOFF_TIME has passed or an
# administrator removes the attempts (admin "Access attempts", or ``manage.py axes_reset_username``).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
# Behind the reverse proxy the client address is the last hop it appends to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every sign-in at INFO; lockouts are WARNING.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Seconds a process keeps its copy of the calendar overrides, SLA policies and message templates
# (core/config_cache.py): an admin change reaches the other web and worker processes within this time.
CONFIG_CACHE_SECONDS = env.int("CONFIG_CACHE_SECONDS", default=60)

# Whole task-box pages kept in Redis per user while nothing they show has changed (core/pages.py): every write
# through Django ends them all. Off without Redis and under DEBUG (a template edited while the server runs).
KC_PAGE_CACHE = env.bool("KC_PAGE_CACHE", default=bool(REDIS_URL) and not DEBUG)
# The longest a kept page is served: the configuration copies' delay above (what a generation cannot see).
KC_PAGE_CACHE_SECONDS = env.int("KC_PAGE_CACHE_SECONDS", default=CONFIG_CACHE_SECONDS)

# Domain configuration (provincial rules; defaults documented in docs/configuration.md)
KHUYENCONG = {
    # Who endorses a lodged đề án before the Sở from 1/7/2025 where a province has no row of its own (admin:
    # "Cấp xác nhận đề án"; core/succession.py): "commune" (the commune's Phòng Kinh tế) or "none" (lodged
    # straight to the Sở; the whole deployment's lifecycle then has no "lodged" step). Before 1/7/2025: district.
    "ENDORSEMENT_LEVEL": env.str("KC_ENDORSEMENT_LEVEL", default="commune"),
    # Share of the approved support that advances may reach before acceptance (TTLT 26/2014 Đ8.2.b).
    "ADVANCE_CAP_PERCENT": env.int("KC_ADVANCE_CAP_PERCENT", default=70),
    # National (KCQG) advances per group of content types (TT 36/2013 Đ13 as amended by TT 17/2018; domain.md
    # §6.1; workflow/advances.py maps each content type to its group): "percent" of the approved support the
    # advances may reach before acceptance; "progress_over": only once the latest monthly progress report's
    # percent complete exceeds it; "after_acceptance": only once accepted (nghiệm thu). The Cục trưởng may change
    # rates and files (TT 36 Đ16): KC_NATIONAL_ADVANCES='{"ccn": {"percent": 40, "progress_over": 50}}' replaces
    # one group's rule.
    "NATIONAL_ADVANCES": {
        # CCN infrastructure; repair/upgrade of a CCN's pollution system: 30 % after >50 % of the supported work.
        "ccn": {"percent": 30, "progress_over": 50},
        # Demonstration models, machinery/technology transfer, pollution systems at a cơ sở: 70 % after >70 % of
        # the investment value.
        "investment": {"percent": 70, "progress_over": 70},
        # Every other content: 70 % on the contract and the implementation plan.
        "standard": {"percent": 70},
        # Enterprise set-up support: 100 %, after acceptance and business registration.
        "enterprise_setup": {"percent": 100, "after_acceptance": True},
    }
    | env.json("KC_NATIONAL_ADVANCES", default={}),
    # After nghiệm thu cơ sở a national đề án may ask for the rest, up to this share of the support (TT 36 Đ14).
    "NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT": env.int(
        "KC_NATIONAL_ADVANCE_AFTER_ACCEPTANCE_PERCENT", default=100
    ),
    # Who pays or refuses an advance: the body holding the budget, per track. Local: the Sở Tài chính (payment via
    # the KBNN, TTLT 26/2014 Đ8.2.b). National: "ministry_side" — the Cục (ministry_officer) when NATIONAL_MODE is
    # "in_system", else the Sở Công Thương's appraiser recording the Cục's payment (TT 36 Đ13: the Cục advances).
    "ADVANCE_DECIDER": {"local": "finance_officer", "national": "ministry_side"}
    | env.json("KC_ADVANCE_DECIDER", default={}),
    # The national (KCQG) track's ministry side (domain.md §2.1): "recorded" — a province-only deployment where
    # the Sở Công Thương records the Cục's and the Minister's decisions with their numbers, dates and files; or
    # "in_system" — a national deployment where the Cục's officers (role ministry_officer) act in their own inbox.
    "NATIONAL_MODE": env.str("KC_NATIONAL_MODE", default="recorded"),
    # The national track's statutory windows for plan year N: (month, day, year offset from N). Registration with
    # the Sở by 20/5 of N-1 (TT 36 Đ10.1.b), the Sở's registration report to the Cục by 20/6 of N-1 (TT 17/2018),
    # the dossiers to the Cục by 30/9 of N-1 (CV 480/CTĐP-QLKC), liquidation and settlement by 22/01 of N+1
    # (TT 36 Đ18.2). KC_NATIONAL_WINDOWS='{"registration": [5, 31, -1]}' changes one.
    "NATIONAL_WINDOWS": {
        "registration": (5, 20, -1),
        "registration_report": (6, 20, -1),
        "dossier_to_ministry": (9, 30, -1),
        "settlement": (1, 22, 1),
    }
    | {k: tuple(v) for k, v in env.json("KC_NATIONAL_WINDOWS", default={}).items()},
    # Days after acceptance by which the settlement dossier is due (TT 36/2013 Đ18.1).
    "SETTLEMENT_DUE_DAYS": env.int("KC_SETTLEMENT_DUE_DAYS", default=15),
    # Role overrides per trigger, e.g. {"approve": "department_head"} where approval is delegated to the Sở.
    "TRIGGER_ROLES": env.json("KC_TRIGGER_ROLES", default={}),
    "DUE_SOON_WORKING_DAYS": env.int("KC_DUE_SOON_WORKING_DAYS", default=2),
    # The menu's task counts stop counting here and read "999+": every staff page shows them, and an exact
    # count of a queue of thousands costs more than the rest of the page's statements (the boxes and the
    # reports still show every task).
    "MENU_COUNT_CAP": env.int("KC_MENU_COUNT_CAP", default=999),
    # A small and medium enterprise, for the eligibility check at lodging (workflow/eligibility.py): total capital
    # (đồng) or yearly average workers at most these, either suffices (domain.md §2.2, Bình Dương: ≤ 100 tỷ đồng
    # or ≤ 300 workers).
    "SME_MAX_CAPITAL": env.int("KC_SME_MAX_CAPITAL", default=100_000_000_000),
    "SME_MAX_WORKERS": env.int("KC_SME_MAX_WORKERS", default=300),
    # Attachments: the largest file accepted (bytes).
    "UPLOAD_MAX_BYTES": env.int("KC_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024),
    # Public lookup: wrong PINs allowed per tracking code and per address within the window, then refused.
    "LOOKUP_MAX_FAILURES": env.int("KC_LOOKUP_MAX_FAILURES", default=10),
    "LOOKUP_WINDOW_SECONDS": env.int("KC_LOOKUP_WINDOW_SECONDS", default=15 * 60),
    # Separation of duties: (earlier trigger, later trigger) pairs; whoever fired the earlier one on a đề án
    # may not fire the later one on it, e.g. the appraiser who recommended an amount may not approve it.
    # KC_SEPARATION_OF_DUTIES='[["appraise", "approve"], ["appraise", "accept"]]'; '[]' switches it off.
    "SEPARATION_OF_DUTIES": [
        tuple(pair)
        for pair in env.json(
            "KC_SEPARATION_OF_DUTIES", default=[["appraise", "approve"], ["verify_finance", "approve"]]
        )
    ],
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "workflow.api.schema.ApiSchema",  # every operation's error responses
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # JSON only, as documented
    "EXCEPTION_HANDLER": "workflow.api.errors.handle",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "track": env.str("KC_TRACK_RATE", default="10/minute"),
        "auth": env.str("KC_AUTH_RATE", default="20/minute"),
    },
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Khuyến công API",
    "DESCRIPTION": "Đề án khuyến công: hồ sơ, chuyển bước, công việc, lịch sử, tra cứu công khai.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="khuyencong-demo")
