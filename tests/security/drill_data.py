"""Data for the drills on the private PostgreSQL cluster, made in a process of its own.

``python -m tests.security.drill_data PREFIX USERS CALLS`` (DATABASE_URL naming the private
cluster) creates CALLS open calls (slugs PREFIX-0, PREFIX-1…) and USERS centres, each with
its referent (password ``tests.factories.PASSWORD``), an active site, a complete draft to
the first call and a logged-in session; prints them as JSON on the last line.
"""

import json
import os
import sys


def main(prefix, users, calls):
    import django  # noqa: PLC0415

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "solidaire.settings")
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: PLC0415
    from django.contrib.sessions.backends.db import SessionStore  # noqa: PLC0415

    from tests.factories import (  # noqa: PLC0415
        ApplicationFactory,
        CallFactory,
        MembershipFactory,
        SiteFactory,
    )

    # Packs enough for every centre on every call.
    open_calls = [
        CallFactory(slug=f"{prefix}-{n}", offers__quantity_available=3 * users)
        for n in range(calls)
    ]
    people = []
    for _n in range(users):
        membership = MembershipFactory(is_referent=True)
        SiteFactory(centre=membership.centre)
        draft = ApplicationFactory(
            call=open_calls[0], centre=membership.centre, created_by=membership.user
        )
        session = SessionStore()
        session[SESSION_KEY] = str(membership.user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
        session.create()
        people.append(
            {"email": membership.user.email, "session": session.session_key, "draft": draft.pk}
        )
    print(json.dumps({"calls": [c.slug for c in open_calls], "people": people}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
