"""Applications: drafts, submission rules, double submits, withdrawal and the waitlist."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appels import services
from appels.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    Attachment,
    CallStatus,
    Decision,
)
from solidaire.errors import DomainError
from tests.factories import (
    AgreementFactory,
    ApplicationFactory,
    ApplicationLineFactory,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    SiteFactory,
    staff_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(open_call, centre, staff_user):
    return ApplicationFactory(call=open_call, centre=centre, created_by=staff_user)


def _refused(db_state, call, *args, **kwargs):
    """Run ``call`` expecting a DomainError that changes nothing; return its message."""
    before = db_state()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert db_state() == before
    return exc.value


# --- submission -------------------------------------------------------------------------


def test_submitting_a_complete_draft_records_the_time_and_queues_the_receipt(
    draft, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    colleague = staff_of(draft.centre, referent=False)[0]
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitted = services.submit_application(draft, by=staff_user, now=now)
    assert len(callbacks) == 1
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
    assert draft.submitted_at == now == submitted.submitted_at
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([staff_user.email, colleague.email])
    assert all(draft.centre.name in m.body for m in mail.outbox)


def test_nothing_is_sent_before_the_transaction_commits(
    draft, staff_user, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.submit_application(draft, by=staff_user)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_a_double_submit_creates_one_submission(
    draft, staff_user, django_capture_on_commit_callbacks
):
    first_time = timezone.now() - timedelta(minutes=5)
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.submit_application(draft, by=staff_user, now=first_time)
        second = services.submit_application(draft, by=staff_user)
    assert second.pk == first.pk
    assert second.status == ApplicationStatus.SUBMITTED
    assert second.submitted_at == first_time
    draft.refresh_from_db()
    assert draft.submitted_at == first_time
    assert Application.objects.filter(call=draft.call, centre=draft.centre).count() == 1
    assert len(callbacks) == 1, "the receipt is queued once"


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("title", "titre du projet"),
        ("summary", "résumé du projet"),
        ("audience", "publics visés"),
        ("activities", "activités prévues"),
    ],
)
def test_an_incomplete_draft_is_refused_naming_what_is_missing(
    draft, staff_user, db_state, field, label
):
    Application.objects.filter(pk=draft.pk).update(**{field: "   "})
    error = _refused(db_state, services.submit_application, draft, by=staff_user)
    assert error.code == "incomplete"
    assert "Il manque des informations" in str(error.messages[0])
    assert label in str(error.messages[0])


def test_missing_beneficiaries_and_site_are_both_listed(open_call, staff_user, db_state):
    application = ApplicationFactory(call=open_call, expected_beneficiaries=None, site=None)
    message = str(
        _refused(db_state, services.submit_application, application, by=staff_user).messages[0]
    )
    assert "nombre de bénéficiaires attendus" in message
    assert "site de réception" in message


def test_the_aim_is_required_only_when_the_call_asks_for_it(staff_user, db_state):
    tablets = CallFactory(requires_aim=True)
    application = ApplicationFactory(call=tablets, aim="")
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert "finalité sociale ou environnementale" in str(error.messages[0])

    computers = CallFactory(requires_aim=False)
    application = ApplicationFactory(call=computers, aim="")
    services.submit_application(application, by=staff_user)


def test_an_application_without_a_requested_pack_is_refused(open_call, staff_user, db_state):
    application = ApplicationFactory(call=open_call, lines=0)
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert error.code == "no_line"
    assert "au moins un pack" in str(error.messages[0])


def test_a_request_above_the_per_centre_cap_is_refused(open_call, staff_user, db_state):
    application = ApplicationFactory(call=open_call, lines=4)  # cap 3
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert error.code == "over_cap"
    assert "plafond par centre est de 3" in str(error.messages[0])


def test_a_request_above_the_packs_on_offer_is_refused(staff_user, db_state):
    call = CallFactory(offers=1, offers__quantity_available=2, offers__per_centre_cap=6)
    application = ApplicationFactory(call=call, lines=3)
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert error.code == "over_stock"
    assert "seuls 2 sont proposés" in str(error.messages[0])


def test_a_line_on_another_calls_offer_is_refused(open_call, staff_user, db_state):
    application = ApplicationFactory(call=open_call, lines=0)
    ApplicationLineFactory(application=application, offer=CallOfferFactory())
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert "autre appel" in str(error.messages[0])


def test_submitting_after_the_deadline_is_refused(draft, staff_user, db_state):
    late = draft.call.closes_at + timedelta(seconds=1)
    error = _refused(db_state, services.submit_application, draft, by=staff_user, now=late)
    assert error.code == "deadline_passed"
    assert "date limite" in str(error)


def test_submitting_exactly_at_the_deadline_is_too_late(draft, staff_user, db_state):
    error = _refused(
        db_state, services.submit_application, draft, by=staff_user, now=draft.call.closes_at
    )
    assert error.code == "deadline_passed"


def test_submitting_before_the_call_opens_is_refused(draft, staff_user, db_state):
    early = draft.call.opens_at - timedelta(seconds=1)
    error = _refused(db_state, services.submit_application, draft, by=staff_user, now=early)
    assert error.code == "call_not_open"


@pytest.mark.parametrize("status", [CallStatus.DRAFT, CallStatus.REVIEW, CallStatus.DECIDED])
def test_a_call_not_open_accepts_no_submission(status, staff_user, db_state):
    application = ApplicationFactory(call=CallFactory(status=status))
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert error.code == "call_not_open"
    assert "n’accepte pas de candidature" in str(error.messages[0])


@pytest.mark.parametrize(
    "centre_fields",
    [
        {"membership_valid_until": timezone.localdate() - timedelta(days=1)},
        {"membership_valid_until": None},
        {"fcsf_member_number": ""},
    ],
    ids=["expired", "no-date", "no-number"],
)
def test_only_member_centres_may_submit(open_call, staff_user, db_state, centre_fields):
    application = ApplicationFactory(call=open_call, centre=CentreFactory(**centre_fields))
    error = _refused(db_state, services.submit_application, application, by=staff_user)
    assert error.code == "not_member"
    assert "adhésion" in str(error.messages[0])


# --- drafts -----------------------------------------------------------------------------


def test_starting_twice_resumes_the_same_draft(open_call, centre, staff_user):
    first = services.start_application(open_call, centre, by=staff_user)
    second = services.start_application(open_call, centre, by=staff_user)
    assert first.pk == second.pk
    assert first.status == ApplicationStatus.DRAFT
    assert first.created_by == staff_user


def test_a_non_member_centre_cannot_start(open_call, staff_user, db_state):
    lapsed = CentreFactory(membership_valid_until=timezone.localdate() - timedelta(days=1))
    error = _refused(db_state, services.start_application, open_call, lapsed, by=staff_user)
    assert error.code == "not_member"


def test_a_draft_is_saved_step_by_step(draft, staff_user):
    services.update_application_draft(draft, by=staff_user, title="Tablettes au jardin")
    draft.refresh_from_db()
    assert draft.title == "Tablettes au jardin"


def test_only_project_fields_can_be_written_in_a_draft(draft, staff_user):
    with pytest.raises(ValueError):
        services.update_application_draft(draft, by=staff_user, status="selected")


def test_a_submitted_application_is_no_longer_editable(draft, staff_user, db_state):
    services.submit_application(draft, by=staff_user)
    error = _refused(
        db_state, services.update_application_draft, draft, by=staff_user, title="Autre"
    )
    assert error.code == "not_draft"
    assert "n’est plus modifiable" in str(error.messages[0])


def test_a_draft_is_frozen_after_the_deadline(draft, staff_user, db_state):
    late = draft.call.closes_at + timedelta(minutes=1)
    error = _refused(
        db_state, services.update_application_draft, draft, by=staff_user, now=late, title="X"
    )
    assert "date limite" in str(error)


def test_the_request_sets_site_and_lines_and_zero_removes_a_line(staff_user):
    call = CallFactory(offers=2)
    application = ApplicationFactory(call=call, lines=0)
    first, second = call.offers.order_by("pk")
    site = SiteFactory(centre=application.centre)
    services.set_application_request(
        application, site=site, quantities={first.pk: 2, second.pk: 1}, by=staff_user
    )
    assert dict(application.lines.values_list("offer_id", "requested_quantity")) == {
        first.pk: 2,
        second.pk: 1,
    }
    services.set_application_request(
        application, site=site, quantities={first.pk: 3, second.pk: 0}, by=staff_user
    )
    application.refresh_from_db()
    assert application.site == site
    assert dict(application.lines.values_list("offer_id", "requested_quantity")) == {first.pk: 3}


def test_the_receiving_site_must_be_an_active_site_of_the_centre(
    draft, staff_user, db_state, other_centre
):
    offer = draft.call.offers.get()
    for site in (
        SiteFactory(centre=other_centre),
        SiteFactory(centre=draft.centre, is_active=False),
    ):
        error = _refused(
            db_state,
            services.set_application_request,
            draft,
            site=site,
            quantities={offer.pk: 1},
            by=staff_user,
        )
        assert error.code == "site"


@pytest.mark.parametrize(
    ("quantity", "message"),
    [(-1, "négative"), (4, "Au plus 3 pack(s) par centre"), (0, "au moins un pack")],
)
def test_request_quantities_are_checked(draft, staff_user, db_state, quantity, message):
    offer = draft.call.offers.get()
    error = _refused(
        db_state,
        services.set_application_request,
        draft,
        site=draft.site,
        quantities={offer.pk: quantity},
        by=staff_user,
    )
    assert message in str(error)


def test_an_offer_of_another_call_cannot_be_requested(draft, staff_user, db_state):
    error = _refused(
        db_state,
        services.set_application_request,
        draft,
        site=draft.site,
        quantities={CallOfferFactory().pk: 1},
        by=staff_user,
    )
    assert error.code == "offer"


# --- attachments ------------------------------------------------------------------------


@pytest.fixture
def private_dir(monkeypatch, tmp_path):
    # The field resolved its storage callable when the model was defined: patch the field.
    field = Attachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=tmp_path, base_url=None))
    return tmp_path


def test_a_pdf_is_attached_under_a_generated_name(draft, staff_user, private_dir):
    upload = SimpleUploadedFile("../../budget.pdf", b"%PDF-1.4 budget", "text/plain")
    attachment = services.add_attachment(draft, upload=upload, by=staff_user)
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "budget.pdf"
    assert "budget" not in attachment.file.name
    assert (private_dir / attachment.file.name).read_bytes() == b"%PDF-1.4 budget"
    assert len(attachment.sha256) == 64


def test_a_file_is_recognised_by_its_content_not_its_name(draft, staff_user, private_dir, db_state):
    upload = SimpleUploadedFile("lettre.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    error = _refused(db_state, services.add_attachment, draft, upload=upload, by=staff_user)
    assert error.code == "bad_type"
    assert list(private_dir.iterdir()) == []


# --- withdrawal and the waitlist --------------------------------------------------------


@pytest.fixture
def decided_call(manager):
    """A call in review: 3 packs; A selected (2), D selected (1), B (3) and C (1) waitlisted."""
    call = CallFactory(
        status=CallStatus.REVIEW, offers__quantity_available=3, offers__per_centre_cap=3
    )
    apps = {
        name: ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, lines=quantity)
        for name, quantity in (("A", 2), ("D", 1), ("B", 3), ("C", 1))
    }
    services.decide(apps["A"], ApplicationStatus.SELECTED, by=manager)
    services.decide(apps["D"], ApplicationStatus.SELECTED, by=manager)
    services.decide(apps["B"], ApplicationStatus.WAITLISTED, by=manager)
    services.decide(apps["C"], ApplicationStatus.WAITLISTED, by=manager)
    services.issue_agreement(apps["A"])
    return call, apps


def _reload(apps):
    return {name: Application.objects.get(pk=app.pk) for name, app in apps.items()}


def test_withdrawing_a_selection_after_publication_promotes_the_first_waitlisted_that_fits(
    decided_call, manager, staff_user
):
    call, apps = decided_call
    services.publish_results(call, by=manager)

    services.withdraw_application(apps["A"], by=staff_user)

    apps = _reload(apps)
    assert apps["A"].status == ApplicationStatus.WITHDRAWN
    assert list(apps["A"].lines.values_list("granted_quantity", flat=True)) == [0]
    assert Agreement.objects.get(application=apps["A"]).status == AgreementStatus.VOID
    # B (rank 1) asks for 3 packs but only 2 are free: C (rank 2) is promoted.
    assert apps["B"].status == ApplicationStatus.WAITLISTED
    assert apps["B"].waitlist_rank == 1
    assert apps["C"].status == ApplicationStatus.SELECTED
    assert apps["C"].waitlist_rank is None
    line = apps["C"].lines.get()
    assert line.granted_quantity == 1
    assert line.granted_unit_price == line.offer.solidarity_price
    decision = Decision.objects.get(application=apps["C"])
    assert decision.outcome == ApplicationStatus.SELECTED
    assert decision.published_at is not None


def test_promotion_takes_the_waitlist_in_rank_order(decided_call, manager, staff_user):
    call, apps = decided_call
    # D also leaves before publication: 3 packs are free when A withdraws, B fits.
    services.withdraw_application(apps["D"], by=staff_user)
    services.publish_results(call, by=manager)
    services.withdraw_application(apps["A"], by=staff_user)
    apps = _reload(apps)
    assert apps["B"].status == ApplicationStatus.SELECTED
    assert apps["C"].status == ApplicationStatus.WAITLISTED


def test_withdrawing_before_publication_promotes_nobody(decided_call, staff_user):
    _call, apps = decided_call
    services.withdraw_application(apps["A"], by=staff_user)
    apps = _reload(apps)
    assert apps["A"].status == ApplicationStatus.WITHDRAWN
    assert apps["B"].status == ApplicationStatus.WAITLISTED
    assert apps["C"].status == ApplicationStatus.WAITLISTED


def test_withdrawing_a_waitlisted_application_promotes_nobody(decided_call, manager, staff_user):
    call, apps = decided_call
    services.publish_results(call, by=manager)
    services.withdraw_application(apps["B"], by=staff_user)
    apps = _reload(apps)
    assert apps["B"].status == ApplicationStatus.WITHDRAWN
    assert apps["B"].waitlist_rank is None
    assert apps["C"].status == ApplicationStatus.WAITLISTED


def test_promotion_returns_none_when_nothing_fits(decided_call, manager):
    call, _apps = decided_call
    services.publish_results(call, by=manager)
    assert services.promote_from_waitlist(call, by=manager) is None


def test_withdrawing_a_submitted_application_stamps_the_time(open_call, staff_user):
    application = ApplicationFactory(call=open_call, status=ApplicationStatus.SUBMITTED)
    services.withdraw_application(application, by=staff_user)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert application.withdrawn_at is not None


def test_a_voided_agreement_of_a_withdrawn_selection_stays_void(decided_call, staff_user):
    _call, apps = decided_call
    agreement = Agreement.objects.get(application=apps["A"])
    services.void_agreement(agreement, reason="Erreur de saisie")
    services.withdraw_application(apps["A"], by=staff_user)
    agreement.refresh_from_db()
    assert agreement.void_reason == "Erreur de saisie"


def test_visible_to_limits_centre_staff_to_their_centres(
    open_call, centre, staff_user, other_centre, manager
):
    own = ApplicationFactory(call=open_call, centre=centre)
    ApplicationFactory(call=open_call, centre=other_centre)
    assert list(Application.objects.visible_to(staff_user)) == [own]
    assert Application.objects.visible_to(manager).count() == 2


def test_an_agreement_exists_once_per_selected_application():
    agreement = AgreementFactory()
    again = services.issue_agreement(agreement.application)
    assert again.pk == agreement.pk
