"""RGPD: a person's export and deletion request, the retention purge, the access log."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from appels.models import Application, ApplicationStatus, Attachment, Decision, Review
from centres import roles, services
from centres.models import AccessLog, DataRequest, Membership, User
from equipements.models import Invoice
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    DecisionFactory,
    InvoiceFactory,
    MembershipFactory,
    ReviewFactory,
    ShipmentFactory,
    SiteFactory,
    SupportTicketFactory,
    SurveyAnswerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def storage(tmp_path, monkeypatch):
    """Attachments go to tmp_path (the field keeps the storage it was built with)."""
    storage = FileSystemStorage(location=tmp_path)
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    return storage


def attach(application, storage, *, by=None, name="budget-camille.pdf"):
    stored = storage.save(f"applications/{name}", ContentFile(PDF))
    return Attachment.objects.create(
        application=application,
        file=stored,
        original_name=name,
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=by,
    )


def platform_user(group_name, email):
    user = UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager_pm(db):
    return platform_user(roles.PROGRAMME_MANAGERS, "gestionnaire.rgpd@example.org")


# --- pages: who may open them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("centres:my_data", "get"),
        ("centres:my_data_export", "get"),
        ("centres:my_data_deletion", "post"),
    ],
)
def test_anonymous_visitors_are_sent_to_login(client, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("centres:login"))


def test_deletion_request_only_accepts_post(client, staff_user):
    client.force_login(staff_user)
    assert client.get(reverse("centres:my_data_deletion")).status_code == 405


def test_preferences_link_to_my_data(client, staff_user):
    client.force_login(staff_user)
    page = client.get(reverse("centres:preferences")).content.decode()
    assert reverse("centres:my_data") in page
    mine = client.get(reverse("centres:my_data"))
    assert mine.status_code == 200
    text = mine.content.decode()
    assert reverse("centres:my_data_export") in text
    assert "factures" in text and "conventions signées" in text  # kept by law, said so


# --- export -----------------------------------------------------------------------------


def test_the_export_holds_my_data_and_not_another_persons(
    client, staff_user, other_staff_user, centre, other_centre, open_call, storage
):
    mine = ApplicationFactory(
        call=open_call, centre=centre, created_by=staff_user, title="Projet de Camille"
    )
    attach(mine, storage, by=staff_user, name="devis-camille.pdf")
    theirs = ApplicationFactory(
        call=open_call, centre=other_centre, created_by=other_staff_user, title="Projet secret B"
    )
    attach(theirs, storage, by=other_staff_user, name="devis-secret-b.pdf")
    SupportTicketFactory(centre=centre, opened_by=staff_user, subject="Écran noir chez A")
    SupportTicketFactory(centre=other_centre, opened_by=other_staff_user, subject="Souci chez B")

    client.force_login(staff_user)
    # An id in the query string changes nothing: the export is always one's own.
    response = client.get(reverse("centres:my_data_export"), {"user": other_staff_user.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    text = response.content.decode()

    assert data["compte"]["email"] == staff_user.email
    assert [m["centre__name"] for m in data["centres"]] == [centre.name]
    assert [a["title"] for a in data["candidatures_creees"]] == ["Projet de Camille"]
    assert [a["original_name"] for a in data["pieces_jointes_deposees"]] == ["devis-camille.pdf"]
    assert [t["subject"] for t in data["tickets_sav"]] == ["Écran noir chez A"]
    for key in ("evaluations", "reponses_enquete", "conventions_signees", "connexions"):
        assert key in data
    for foreign in (
        other_staff_user.email,
        "Projet secret B",
        "devis-secret-b.pdf",
        "Souci chez B",
    ):
        assert foreign not in text
    assert "password" not in text
    # The answer is kept as evidence.
    assert DataRequest.objects.get(user=staff_user).kind == DataRequest.Kind.EXPORT


def test_a_reviewer_export_holds_their_reviews(client, db):
    review = ReviewFactory(comment="Projet solide, budget clair")
    client.force_login(review.reviewer)
    data = json.loads(client.get(reverse("centres:my_data_export")).content)
    assert [r["commentaire"] for r in data["evaluations"]] == ["Projet solide, budget clair"]


# --- deletion -------------------------------------------------------------------------


def test_a_deletion_request_is_recorded_once(client, staff_user):
    client.force_login(staff_user)
    url = reverse("centres:my_data_deletion")
    first = client.post(url, {"message": "Je quitte le centre."}, follow=True)
    assert "Votre demande d’effacement est enregistrée" in first.content.decode()
    again = client.post(url, follow=True)
    assert "déjà en cours de traitement" in again.content.decode()
    request = DataRequest.objects.get(user=staff_user)
    assert (request.kind, request.status) == ("deletion", "pending")
    assert request.message == "Je quitte le centre."


def test_a_manager_anonymises_the_person_and_legal_records_stay(
    client, staff_user, centre, manager_pm
):
    staff_user.phone = "06 12 34 56 78"
    staff_user.save()
    agreement = AgreementFactory(
        application__centre=centre,
        status="signed",
        signed_by=staff_user,
        signer_name=staff_user.get_full_name(),
        signer_role="Directrice",
    )
    invoice = InvoiceFactory(allocation__application=agreement.application)
    invoice_before = Invoice.objects.filter(pk=invoice.pk).values().get()
    signer_before = agreement.signer_name
    data_request = services.request_data_deletion(staff_user, message="Merci")
    old_email = staff_user.email

    client.force_login(manager_pm)
    response = client.post(
        reverse("admin:centres_datarequest_changelist"),
        {"action": "anonymise_people", "_selected_action": [data_request.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 personne anonymisée" in response.content.decode()

    user = User.objects.get(pk=staff_user.pk)
    assert user.email == f"anonyme-{user.pk}@anonyme.invalid"
    assert user.first_name == "" and user.phone == ""
    assert old_email not in (user.last_name, user.email)
    assert not user.is_active and not user.has_usable_password()
    assert not Membership.objects.filter(user=user).exists()
    data_request.refresh_from_db()
    assert (data_request.status, data_request.processed_by) == ("done", manager_pm)
    # What the law keeps: the invoice as issued, the signer's name on the agreement.
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == invoice_before
    agreement.refresh_from_db()
    assert agreement.signer_name == signer_before
    # The old address can no longer log in, nor be found.
    assert not User.objects.filter(email__iexact=old_email).exists()


def test_anonymised_emails_stay_unique(db, manager_pm):
    people = [MembershipFactory().user for _ in range(2)]
    for person in people:
        services.anonymise_user(person, by=manager_pm)
    assert len({User.objects.get(pk=p.pk).email for p in people}) == 2


def test_a_superuser_is_not_anonymised(db, manager_pm):
    boss = UserFactory(is_superuser=True, is_staff=True)
    with pytest.raises(services.DomainError):
        services.anonymise_user(boss, by=manager_pm)


@pytest.mark.parametrize("role", ["centre_staff", "reviewer", "logistics"])
def test_only_programme_managers_handle_requests_in_the_admin(client, staff_user, role):
    user = {
        "centre_staff": staff_user,
        "reviewer": platform_user(roles.REVIEWERS, "eval.rgpd@example.org"),
        "logistics": platform_user(roles.LOGISTICS, "logi.rgpd@example.org"),
    }[role]
    client.force_login(user)
    for name in ("admin:centres_datarequest_changelist", "admin:centres_accesslog_changelist"):
        response = client.get(reverse(name))
        if role == "centre_staff":
            assert response.status_code == 302  # to the admin login
        else:
            assert response.status_code == 403


def test_programme_managers_read_the_access_log(client, manager_pm):
    client.force_login(manager_pm)
    assert client.get(reverse("admin:centres_accesslog_changelist")).status_code == 200
    assert client.get(reverse("admin:centres_datarequest_changelist")).status_code == 200
    assert client.get(reverse("admin:centres_accesslog_add")).status_code == 403


# --- retention ------------------------------------------------------------------------


def test_the_retention_command_purges_old_rejected_and_withdrawn_applications_only(
    settings, storage, capsys, django_capture_on_commit_callbacks
):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    long_ago = timezone.now() - timedelta(days=400)
    recently = timezone.now() - timedelta(days=30)
    author = UserFactory()

    def application(status, moment):
        extra = {"decided_at": moment} if status != "withdrawn" else {"withdrawn_at": moment}
        app = ApplicationFactory(status=status, created_by=author, **extra)
        attach(app, storage, by=author, name=f"piece-{app.pk}.pdf")
        return app

    old_rejected = application(ApplicationStatus.REJECTED, long_ago)
    ReviewFactory(application=old_rejected, comment="La directrice, Mme Dupont, est motivée")
    DecisionFactory(application=old_rejected, outcome="rejected", comment="Hors critères")
    old_withdrawn = application(ApplicationStatus.WITHDRAWN, long_ago)
    new_rejected = application(ApplicationStatus.REJECTED, recently)
    old_selected = application(ApplicationStatus.SELECTED, long_ago)
    old_rejected_file = old_rejected.attachments.get().file.name
    quantities_before = list(
        Application.objects.order_by("pk").values_list("pk", "status", "lines__requested_quantity")
    )

    call_command("purge_personal_data", "--dry-run")
    assert "2 application(s) would be anonymised" in capsys.readouterr().out
    assert Attachment.objects.count() == 4  # a dry run changes nothing

    with django_capture_on_commit_callbacks(execute=True):  # files go once committed
        call_command("purge_personal_data")
    assert "2 application(s) anonymised" in capsys.readouterr().out

    for purged in (old_rejected, old_withdrawn):
        purged.refresh_from_db()
        assert (purged.title, purged.summary, purged.audience, purged.aim) == ("", "", "", "")
        assert purged.created_by is None
        assert not purged.attachments.exists()
        assert not Application.history.filter(id=purged.pk).exclude(summary="").exists()
    assert not storage.exists(old_rejected_file)
    assert Review.objects.get(application=old_rejected).comment == ""
    assert Decision.objects.get(application=old_rejected).comment == ""
    assert not Review.history.filter(application_id=old_rejected.pk).exclude(comment="").exists()
    # Figures stay: status, dates, quantities.
    old_rejected.refresh_from_db()
    assert old_rejected.status == "rejected" and old_rejected.decided_at == long_ago
    assert old_rejected.expected_beneficiaries == 120
    assert (
        list(
            Application.objects.order_by("pk").values_list(
                "pk", "status", "lines__requested_quantity"
            )
        )
        == quantities_before
    )
    # The others keep everything.
    for kept in (new_rejected, old_selected):
        kept.refresh_from_db()
        assert kept.summary and kept.created_by == author and kept.attachments.exists()

    call_command("purge_personal_data")  # idempotent
    assert "0 application(s) anonymised" in capsys.readouterr().out


def test_the_retention_purge_blanks_the_contact_of_sites_nothing_else_uses(settings, capsys):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    long_ago = timezone.now() - timedelta(days=400)
    contact = {"contact_name": "Camille Martin", "contact_phone": "06 11 22 33 44"}
    contact["contact_email"] = "camille.martin@example.org"

    def old_rejected(site):
        return ApplicationFactory(
            status=ApplicationStatus.REJECTED, decided_at=long_ago, centre=site.centre, site=site
        )

    alone = SiteFactory(**contact)
    old_rejected(alone)
    reused = SiteFactory(**contact)  # a later application names it again
    old_rejected(reused)
    ApplicationFactory(status=ApplicationStatus.SUBMITTED, centre=reused.centre, site=reused)
    shipped = SiteFactory(**contact)  # equipment was sent there
    old_rejected(shipped)
    ShipmentFactory(site=shipped)
    recent = SiteFactory(**contact)
    ApplicationFactory(
        status=ApplicationStatus.REJECTED,
        decided_at=timezone.now(),
        centre=recent.centre,
        site=recent,
    )

    call_command("purge_personal_data", "--dry-run")
    assert "1 site contact(s) blanked" in capsys.readouterr().out
    alone.refresh_from_db()
    assert alone.contact_email  # a dry run changes nothing

    call_command("purge_personal_data")
    assert "1 site contact(s) blanked" in capsys.readouterr().out
    alone.refresh_from_db()
    assert (alone.contact_name, alone.contact_phone, alone.contact_email) == ("", "", "")
    assert alone.name and alone.address  # the site stays
    for kept in (reused, shipped, recent):
        kept.refresh_from_db()
        assert (kept.contact_name, kept.contact_email) == (
            contact["contact_name"],
            contact["contact_email"],
        )
    call_command("purge_personal_data")  # idempotent
    assert "0 site contact(s) blanked" in capsys.readouterr().out


def test_anonymising_a_person_erases_what_they_wrote_and_their_site_contacts(
    staff_user, centre, other_staff_user, manager_pm
):
    staff_user.first_name, staff_user.last_name = "Camille", "Martin"
    staff_user.phone = "06 11 22 33 44"
    staff_user.save()
    mine = SupportTicketFactory(
        centre=centre, opened_by=staff_user, description="Rappeler Camille au 06 11 22 33 44"
    )
    mine.description = "Toujours en panne, Camille"
    mine.save()  # a second history row
    theirs = SupportTicketFactory(opened_by=other_staff_user)
    my_answer = SurveyAnswerFactory(
        application__centre=centre,
        answered_by=staff_user,
        testimonial="Moi, Camille Martin, je recommande.",
        is_testimonial_publishable=True,
    )
    their_answer = SurveyAnswerFactory(answered_by=other_staff_user, testimonial="Très bien.")
    by_email = SiteFactory(contact_email=staff_user.email.upper(), contact_name="C. M.")
    by_name = SiteFactory(centre=centre, contact_name="camille martin")
    homonym_elsewhere = SiteFactory(contact_name="Camille Martin")
    other_contact = SiteFactory(centre=centre, contact_name="Dominique Petit")

    services.anonymise_user(staff_user, by=manager_pm)

    mine.refresh_from_db()
    assert (mine.subject, mine.description) == ("[effacé]", "[effacé]")
    assert mine.status == "open" and mine.item_id  # the ticket itself stays
    histories = mine.history.values_list("subject", "description")
    assert set(histories) == {("[effacé]", "[effacé]")}
    my_answer.refresh_from_db()
    assert my_answer.testimonial == "" and not my_answer.is_testimonial_publishable
    assert my_answer.satisfaction == 4  # the ratings stay
    for site in (by_email, by_name):
        site.refresh_from_db()
        assert (site.contact_name, site.contact_phone, site.contact_email) == ("", "", "")
    # Another person's texts, a homonym in another centre, another contact: untouched.
    theirs.refresh_from_db()
    assert theirs.description == "Depuis lundi, l’écran reste noir au démarrage."
    their_answer.refresh_from_db()
    assert their_answer.testimonial == "Très bien."
    homonym_elsewhere.refresh_from_db()
    assert homonym_elsewhere.contact_name == "Camille Martin"
    other_contact.refresh_from_db()
    assert other_contact.contact_name == "Dominique Petit"


def test_the_purge_runs_daily_from_celery_beat(settings, storage):
    from celery.schedules import crontab  # noqa: PLC0415

    from appels import tasks  # noqa: PLC0415
    from solidaire.celery import app  # noqa: PLC0415

    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "appels.tasks.purge_personal_data"
    )
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert len(schedule.hour) == 1 and len(schedule.minute) == 1  # once a day
    assert schedule.day_of_week == set(range(7))
    assert entry["task"] in app.tasks

    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    purged = ApplicationFactory(
        status=ApplicationStatus.REJECTED,
        decided_at=timezone.now() - timedelta(days=400),
        summary="Notre directrice, Mme Dupont",
    )
    result = tasks.purge_personal_data.delay().get()  # eager in tests: the real task body
    assert result["applications"] == 1
    purged.refresh_from_db()
    assert purged.summary == "" and purged.created_by is None
    assert tasks.purge_personal_data.delay().get()["applications"] == 0


# --- access log -----------------------------------------------------------------------


def test_viewing_a_person_in_the_admin_is_logged(client, manager_pm, staff_user):
    client.force_login(manager_pm)
    url = reverse("admin:centres_user_change", args=[staff_user.pk])
    assert client.get(url, REMOTE_ADDR="192.0.2.5").status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.user, entry.object_type, entry.object_id) == (
        manager_pm,
        "centres.user",
        str(staff_user.pk),
    )
    assert entry.ip_address == "192.0.2.5"
    # A list page or a refused page is not logged.
    client.get(reverse("admin:centres_user_changelist"))
    client.force_login(staff_user)
    client.get(url)
    assert AccessLog.objects.count() == 1


def test_downloading_a_private_file_is_logged(client, staff_user, centre, open_call, storage):
    application = ApplicationFactory(call=open_call, centre=centre, created_by=staff_user)
    attachment = attach(application, storage, by=staff_user)
    client.force_login(staff_user)
    url = reverse("appels:attachment_download", args=[application.pk, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content) if response.streaming else response.content
    entry = AccessLog.objects.get()
    assert (entry.object_type, entry.object_id, entry.url_name) == (
        "appels.application",
        str(application.pk),
        "appels:attachment_download",
    )


def test_another_centre_gets_404_on_a_file_and_nothing_is_logged(
    client, other_staff_user, centre, open_call, storage
):
    application = ApplicationFactory(call=open_call, centre=centre)
    attachment = attach(application, storage)
    client.force_login(other_staff_user)
    url = reverse("appels:attachment_download", args=[application.pk, attachment.pk])
    assert client.get(url).status_code == 404
    assert not AccessLog.objects.exists()


def test_logging_costs_one_insert(client, manager_pm, staff_user, django_assert_num_queries):
    client.force_login(manager_pm)
    url = reverse("admin:centres_user_change", args=[staff_user.pk])
    client.get(url)  # warm caches (content types, permissions)
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    inserts = [q["sql"] for q in queries if "INSERT" in q["sql"] and "accesslog" in q["sql"]]
    assert len(inserts) == 1
