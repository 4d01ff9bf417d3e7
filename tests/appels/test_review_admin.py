"""The reviewers' and the committee's pages in the admin, for every role."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appels.models import (
    Application,
    ApplicationStatus,
    Attachment,
    Call,
    CallStatus,
    Decision,
    Review,
    ReviewStatus,
    Score,
)
from centres import roles
from tests.factories import (
    ApplicationFactory,
    ApplicationLineFactory,
    CallFactory,
    CallOfferFactory,
    CriterionFactory,
    MembershipFactory,
    ReviewerFactory,
    ReviewFactory,
    ScoreFactory,
    UserFactory,
)
from tests.portal.conftest import PDF, private_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def attach(private_dir):  # noqa: F811
    def attach(application):
        return Attachment.objects.create(
            application=application,
            file=ContentFile(PDF, name="budget.pdf"),
            original_name="budget.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
        )

    return attach


def review_call(**kwargs):
    now = timezone.now()
    fields = {
        "status": CallStatus.REVIEW,
        "opens_at": now - timedelta(days=40),
        "closes_at": now - timedelta(days=10),
        "review_ends_at": now + timedelta(days=10),
        "criteria": 0,
        "offers": 0,
    }
    call = CallFactory(**{**fields, **kwargs})
    CriterionFactory(call=call, name="Projet", weight=Decimal("2"), max_score=5, position=1)
    CriterionFactory(call=call, name="Public", weight=Decimal("1"), max_score=10, position=2)
    return call


def submitted(call, **kwargs):
    return ApplicationFactory(call=call, status=ApplicationStatus.SUBMITTED, **kwargs)


def member_of(group, **kwargs):
    user = UserFactory(is_staff=True, **kwargs)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager():
    return member_of(roles.PROGRAMME_MANAGERS)


@pytest.fixture
def reviewer():
    return ReviewerFactory()


@pytest.fixture
def call():
    return review_call()


def as_user(client, user):
    client.force_login(user)
    return client


def change_url(review):
    return reverse("admin:appels_review_change", args=[review.pk])


def ranking_url(call):
    return reverse("admin:appels_call_ranking", args=[call.pk])


def score_post(call, values, **extra):
    criteria = list(call.criteria.order_by("position"))
    data = {f"score_{c.pk}": v for c, v in zip(criteria, values, strict=True)}
    return {"comment": "", "recommendation": "", **data, **extra}


# --- A reviewer sees and scores only what is assigned to them ---------------------------


def test_the_reviewer_list_shows_only_their_assignments_to_do_and_done(client, call, reviewer):
    todo = ReviewFactory(application=submitted(call), reviewer=reviewer)
    done = ReviewFactory(
        application=submitted(call), reviewer=reviewer, status=ReviewStatus.SUBMITTED
    )
    conflict = ReviewFactory(
        application=submitted(call), reviewer=reviewer, status=ReviewStatus.CONFLICT
    )
    someone_elses = ReviewFactory(application=submitted(call))
    as_user(client, reviewer)
    url = reverse("admin:appels_review_changelist")

    listed = lambda query: set(client.get(url + query).context["cl"].result_list)  # noqa: E731

    assert listed("") == {todo, done}
    assert listed("?todo=todo") == {todo}
    assert listed("?todo=done") == {done}
    assert conflict not in listed("") and someone_elses not in listed("")


def test_the_reviewer_list_shows_each_reviews_weighted_total_in_constant_queries(
    client, call, reviewer
):
    """Drafts too: the total so far, as the review page shows it; none before any score."""
    projet, public = call.criteria.order_by("position")
    url = reverse("admin:appels_review_changelist")
    as_user(client, reviewer)

    def scored(values):
        review = ReviewFactory(application=submitted(call), reviewer=reviewer)
        for criterion, value in zip((projet, public), values, strict=False):
            ScoreFactory(review=review, criterion=criterion, value=value)
        return review

    full, half = scored([5, 10]), scored([4])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    unscored = scored([])
    more = [scored([1, 2]) for _ in range(5)]
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    totals = dict(
        zip(
            response.context["cl"].result_list,
            (row[-2] for row in response.context["results"]),
            strict=True,
        )
    )
    assert len(many) == len(few)
    assert 'class="field-total">100,00<' in totals[full]
    assert 'class="field-total">80,00<' in totals[half]  # 4/5 on the only criterion scored
    assert 'class="field-total">-<' in totals[unscored]
    assert all('class="field-total">20,00<' in totals[review] for review in more)


@pytest.mark.parametrize("kind", ["someone_elses", "conflict"])
def test_a_reviewer_cannot_open_nor_score_an_application_not_theirs(
    client, call, reviewer, kind, attach
):
    application = submitted(call)
    attachment = attach(application)
    if kind == "conflict":
        review = ReviewFactory(
            application=application, reviewer=reviewer, status=ReviewStatus.CONFLICT
        )
    else:
        review = ReviewFactory(application=application)
    as_user(client, reviewer)

    page = client.get(change_url(review))
    posted = client.post(change_url(review), score_post(call, [5, 10], submit="on"))
    application_page = client.get(reverse("admin:appels_application_change", args=[application.pk]))
    download = client.get(
        reverse("admin:appels_application_attachment", args=[application.pk, attachment.pk])
    )

    assert page.status_code == 302 and application.title not in page.content.decode()
    assert posted.status_code == 302
    assert not Score.objects.exists()
    assert application_page.status_code == 302
    assert download.status_code == 404


def test_the_review_page_shows_the_project_and_a_live_weighted_total(
    client, call, reviewer, attach
):
    application = submitted(call, title="Des tablettes pour les seniors")
    attachment = attach(application)
    review = ReviewFactory(application=application, reviewer=reviewer)
    projet, public = call.criteria.order_by("position")
    ScoreFactory(review=review, criterion=projet, value=4)
    ScoreFactory(review=review, criterion=public, value=8)
    as_user(client, reviewer)

    page = client.get(change_url(review)).content.decode()

    assert "Des tablettes pour les seniors" in page
    assert (
        reverse("admin:appels_application_attachment", args=[application.pk, attachment.pk]) in page
    )
    # (4/5 × 2 + 8/10 × 1) / 3 = 80.00
    assert (
        '<output id="review-total" aria-live="polite" class="review-total">80,00</output>' in page
    )
    assert 'data-weight="2.00"' in page and 'data-max="10"' in page
    assert "js/review-total.js" in page
    assert 'name="_savenext"' in page


def test_scores_are_saved_as_a_draft_then_submitted_and_save_and_next_opens_the_next(
    client, call, reviewer
):
    first = ReviewFactory(application=submitted(call), reviewer=reviewer)
    second = ReviewFactory(application=submitted(call), reviewer=reviewer)
    as_user(client, reviewer)

    response = client.post(change_url(first), score_post(call, [3, ""], _continue="1"))
    first.refresh_from_db()
    assert response.status_code == 302
    assert first.status == ReviewStatus.DRAFT
    assert list(first.scores.values_list("value", flat=True)) == [3]

    response = client.post(
        change_url(first),
        score_post(call, [3, 7], recommendation="select", submit="on", _savenext="1"),
    )
    first.refresh_from_db()
    assert first.status == ReviewStatus.SUBMITTED
    assert response["Location"] == change_url(second)


def test_a_score_out_of_range_gets_a_french_message_and_changes_nothing(
    client, call, reviewer, db_state
):
    review = ReviewFactory(application=submitted(call), reviewer=reviewer)
    as_user(client, reviewer)
    before = db_state()

    response = client.post(change_url(review), score_post(call, [6, -1]))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    projet, public = call.criteria.order_by("position")
    assert "inférieure ou égale à 5" in errors[f"score_{projet.pk}"][0]
    assert "supérieure ou égale à 0" in errors[f"score_{public.pk}"][0]
    assert db_state() == before


def test_scores_are_frozen_when_the_review_phase_ends(client, reviewer):
    call = review_call()
    review = ReviewFactory(application=submitted(call), reviewer=reviewer)
    Call.objects.filter(pk=call.pk).update(review_ends_at=timezone.now() - timedelta(minutes=1))
    as_user(client, reviewer)

    response = client.post(change_url(review), score_post(call, [5, 10]), follow=True)

    assert "les notes sont figées" in response.content.decode()
    assert not Score.objects.exists()


def test_declaring_a_conflict_from_the_page_hands_the_application_to_someone_else(
    client, call, reviewer
):
    review = ReviewFactory(application=submitted(call), reviewer=reviewer)
    replacement = ReviewerFactory()
    as_user(client, reviewer)

    response = client.post(
        change_url(review), score_post(call, ["", ""], conflict="J’ai travaillé dans ce centre.")
    )

    review.refresh_from_db()
    assert review.status == ReviewStatus.CONFLICT
    assert response["Location"].endswith("?todo=todo")
    assert Review.objects.get(application=review.application, reviewer=replacement)


@pytest.mark.parametrize("blind", [True, False])
def test_blind_mode_hides_other_reviews_until_ones_own_is_submitted(client, reviewer, blind):
    call = review_call(is_blind_review=blind)
    application = submitted(call)
    ReviewFactory(
        application=application, status=ReviewStatus.SUBMITTED, comment="Projet très solide"
    )
    mine = ReviewFactory(application=application, reviewer=reviewer)
    as_user(client, reviewer)

    before = client.get(change_url(mine)).content.decode()
    Review.objects.filter(pk=mine.pk).update(
        status=ReviewStatus.SUBMITTED, submitted_at=timezone.now(), recommendation="select"
    )
    after = client.get(change_url(mine)).content.decode()

    assert ("Projet très solide" in before) is not blind
    assert ("Évaluation en aveugle" in before) is blind
    assert "Projet très solide" in after


def test_the_scoring_is_recorded_in_the_history_with_who_did_it(client, call, reviewer, manager):
    review = ReviewFactory(application=submitted(call), reviewer=reviewer)
    as_user(client, reviewer)
    client.post(change_url(review), score_post(call, [4, 9]))

    score = review.scores.first()
    assert score.history.get().history_user == reviewer
    assert review.history.latest().history_user == reviewer
    as_user(client, manager)
    history = client.get(reverse("admin:appels_review_history", args=[review.pk]))
    assert history.status_code == 200
    assert reviewer.email in history.content.decode() or str(reviewer) in history.content.decode()


# --- Queries stay constant --------------------------------------------------------------


def populate(call, reviewer, how_many):
    offer = CallOfferFactory(call=call, quantity_available=how_many)
    other = ReviewerFactory()
    for _ in range(how_many):
        application = submitted(call, lines=0)
        ApplicationLineFactory(application=application, offer=offer, requested_quantity=2)
        for person in (reviewer, other):
            review = ReviewFactory(
                application=application, reviewer=person, status=ReviewStatus.SUBMITTED
            )
            for criterion in call.criteria.all():
                ScoreFactory(review=review, criterion=criterion, value=3)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_reviewer_list_and_the_ranking_run_the_same_queries_for_5_and_200(
    client, reviewer, manager
):
    small, large = review_call(), review_call()
    populate(small, reviewer, 5)
    populate(large, reviewer, 200)
    reviews = reverse("admin:appels_review_changelist") + "?application__call__id__exact="

    as_user(client, reviewer)
    reviewer_count = count_queries(client, reviews + str(small.pk))
    assert reviewer_count == count_queries(client, reviews + str(large.pk))
    # session, user, 3 for permissions, calls of the filter, count, page, scores
    assert reviewer_count <= 9
    as_user(client, manager)
    small_count = count_queries(client, ranking_url(small))
    assert small_count == count_queries(client, ranking_url(large))
    # session, user, call, 3 for permissions, offers, lines, ranking, page, its lines, stock
    assert small_count <= 12
    assert count_queries(client, reviews + str(small.pk)) == count_queries(
        client, reviews + str(large.pk)
    )


# --- The committee's page ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 302),
        ("centre_staff", 302),
        ("reviewer", 403),
        ("logistics", 403),
        ("manager", 200),
        ("superuser", 200),
    ],
)
def test_the_committee_page_is_for_programme_managers(client, call, role, expected):
    user = {
        "anonymous": None,
        "centre_staff": lambda: MembershipFactory().user,
        "reviewer": ReviewerFactory,
        "logistics": lambda: member_of(roles.LOGISTICS),
        "manager": lambda: member_of(roles.PROGRAMME_MANAGERS),
        "superuser": lambda: UserFactory(is_staff=True, is_superuser=True),
    }[role]
    if user:
        client.force_login(user())
    response = client.get(ranking_url(call))
    assert response.status_code == expected
    if expected == 302:
        assert "/login/" in response["Location"]
    post = client.post(ranking_url(call), {"action": "propose"})
    assert post.status_code == (302 if expected != 403 else 403)
    assert not Decision.objects.exists() or expected == 200


def committee(call, stock=3, cap=2):
    offer = CallOfferFactory(call=call, quantity_available=stock, per_centre_cap=cap)
    rows = []
    for fraction in (Decimal("1"), Decimal("0.8"), Decimal("0.6")):
        application = submitted(call, lines=0)
        ApplicationLineFactory(application=application, offer=offer, requested_quantity=2)
        review = ReviewFactory(
            application=application, status=ReviewStatus.SUBMITTED, recommendation="select"
        )
        for criterion in call.criteria.all():
            ScoreFactory(review=review, criterion=criterion, value=criterion.max_score * fraction)
        MembershipFactory(centre=application.centre, is_referent=True)
        rows.append(application)
    return offer, rows


def test_the_ranking_lists_averages_and_the_proposal(client, call, manager):
    offer, (best, middle, last) = committee(call)
    as_user(client, manager)

    response = client.get(ranking_url(call))

    rows = response.context["rows"]
    assert [row.application for row in rows] == [best, middle, last]
    assert [row.average for row in rows] == [Decimal("100.00"), Decimal("80.00"), Decimal("60.00")]
    assert [row.proposal.outcome for row in rows] == ["selected", "selected", "waitlisted"]
    assert [row.proposal.granted for row in rows[:2]] == [{offer.pk: 2}, {offer.pk: 1}]
    # The form starts from the proposal, never above the cap.
    assert [[f["value"] for f in row.fields["lines"]] for row in rows[:2]] == [[2], [1]]


def test_the_stock_table_counts_only_the_packs_granted_to_selected_applications(
    client, call, manager
):
    offer, (best, middle, last) = committee(call, stock=5)
    other = CallOfferFactory(call=call, quantity_available=4)
    ApplicationLineFactory(application=best, offer=other, requested_quantity=3, granted_quantity=3)
    best.lines.filter(offer=offer).update(granted_quantity=2)
    middle.lines.update(granted_quantity=1)
    last.lines.update(granted_quantity=2)  # a waitlisted application keeps no packs
    type(best).objects.filter(pk__in=[best.pk, middle.pk]).update(status="selected")
    type(best).objects.filter(pk=last.pk).update(status="waitlisted")
    as_user(client, manager)

    stock = client.get(ranking_url(call)).context["stock"]

    by_offer = {entry["offer"]: (entry["granted"], entry["remaining"]) for entry in stock}
    assert by_offer == {offer: (3, 2), other: (3, 1)}


def test_the_ranking_is_shown_a_page_at_a_time_with_call_wide_ranks(
    client, call, manager, monkeypatch
):
    monkeypatch.setattr("appels.committee.RANKING_PAGE_SIZE", 2)
    offer, (best, middle, last) = committee(call)
    as_user(client, manager)

    first = client.get(ranking_url(call)).context["rows"]
    second = client.get(ranking_url(call) + "?page=2")
    refused = client.post(
        ranking_url(call) + "?page=2",
        {"action": "save", f"a{last.pk}-outcome": "selected", f"a{last.pk}-line{offer.pk}": "x"},
    )

    assert [(row.rank, row.application) for row in first] == [(1, best), (2, middle)]
    assert [(row.rank, row.application) for row in second.context["rows"]] == [(3, last)]
    assert second.context["rows"][0].proposal.outcome == "waitlisted"  # stock used above
    assert refused.status_code == 400
    assert [row.application for row in refused.context["rows"]] == [last]
    assert refused.context["rows"][0].errors
    assert refused.context["rows"][0].fields["lines"][0]["value"] == "x"


def test_exports_read_back_as_csv_and_xlsx(client, call, manager):
    committee(call)
    as_user(client, manager)

    csv_response = client.get(ranking_url(call) + "?export=csv")
    xlsx_response = client.get(ranking_url(call) + "?export=xlsx")

    assert csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["rang", "centre", "SIRET"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    sheet = load_workbook(io.BytesIO(xlsx_response.content)).active
    values = list(sheet.values)
    assert values[0][0] == "rang"
    averages = [str(row[8]) for row in values[1:]]
    assert averages == ["100.00", "80.00", "60.00"]


def test_committee_decisions_with_bad_input_change_nothing_and_say_why(
    client, call, manager, db_state
):
    offer, (best, middle, last) = committee(call)
    as_user(client, manager)
    before = db_state()

    response = client.post(
        ranking_url(call),
        {
            "action": "save",
            f"a{best.pk}-outcome": "selected",
            f"a{best.pk}-line{offer.pk}": "deux",
            f"a{middle.pk}-outcome": "selected",
            f"a{middle.pk}-line{offer.pk}": "2",
        },
    )

    assert response.status_code == 400
    assert "indiquez un nombre entier de packs" in response.content.decode()
    assert db_state() == before

    response = client.post(
        ranking_url(call),
        {
            "action": "save",
            f"a{best.pk}-outcome": "selected",
            f"a{best.pk}-line{offer.pk}": "2",
            f"a{middle.pk}-outcome": "selected",
            f"a{middle.pk}-line{offer.pk}": "2",
        },
    )
    assert response.status_code == 400
    assert "il ne reste que 1 packs" in response.content.decode()
    assert db_state() == before


def test_the_committee_decides_applies_the_proposal_and_publishes_once(
    client, call, manager, django_capture_on_commit_callbacks
):
    offer, (best, middle, last) = committee(call)
    as_user(client, manager)

    response = client.post(
        ranking_url(call),
        {
            "action": "save",
            f"a{last.pk}-outcome": "rejected",
            f"a{last.pk}-line{offer.pk}": "2",
        },
    )
    assert response.status_code == 302
    last.refresh_from_db()
    assert last.status == ApplicationStatus.REJECTED

    client.post(ranking_url(call), {"action": "propose"})
    last.refresh_from_db()
    assert last.waitlist_rank == 1  # numbered within the waitlist, not the whole ranking
    statuses = dict(Application.objects.filter(call=call).values_list("pk", "status"))
    assert statuses == {
        best.pk: "selected",
        middle.pk: "selected",
        last.pk: "waitlisted",
    }
    assert sum(line.granted_quantity or 0 for a in (best, middle) for line in a.lines.all()) <= 3

    refused = client.post(ranking_url(call), {"action": "publish"}, follow=True)
    assert "Cochez la case de confirmation" in refused.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ranking_url(call), {"action": "publish", "confirm": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ranking_url(call), {"action": "publish", "confirm": "1"})
    assert len(mail.outbox) == 3
    call.refresh_from_db()
    assert call.status == CallStatus.DECIDED
    assert Decision.objects.filter(application__call=call, published_at__isnull=True).count() == 0
    assert Call.history.filter(id=call.pk, status=CallStatus.DECIDED).get().history_user == manager

    locked = client.post(
        ranking_url(call),
        {"action": "save", f"a{best.pk}-outcome": "rejected"},
        follow=True,
    )
    assert "figées" in locked.content.decode()
    best.refresh_from_db()
    assert best.status == ApplicationStatus.SELECTED


# --- Call set-up actions ----------------------------------------------------------------


def test_managers_duplicate_a_call_and_assign_reviewers_from_the_call_list(client, manager):
    call = review_call(reviewers_per_application=1)
    submitted(call)
    ReviewerFactory()
    as_user(client, manager)
    url = reverse("admin:appels_call_changelist")

    client.post(url, {"action": "assign_reviewers", "_selected_action": [call.pk]})
    client.post(url, {"action": "duplicate_calls", "_selected_action": [call.pk]})

    assert Review.objects.filter(application__call=call).count() == 1
    copy = Call.objects.exclude(pk=call.pk).get()
    assert copy.status == CallStatus.DRAFT and copy.criteria.count() == 2


# --- Public results ---------------------------------------------------------------------


def test_the_public_results_list_only_the_selected_centres_of_a_published_call(client, manager):
    from appels import services

    call = review_call()
    offer, (best, middle, last) = committee(call)
    services.apply_proposal(call, by=manager)
    url = reverse("appels:results", args=[call.slug])
    assert client.get(url).status_code == 404

    services.publish_results(call, by=manager)
    response = client.get(url)

    page = response.content.decode()
    assert best.centre.name in page and middle.centre.name in page
    assert last.centre.name not in page
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) <= 6


# --- Bulk decisions from the application list -------------------------------------------


def test_managers_decide_in_bulk_from_the_application_list_and_reviewers_cannot(
    client, call, manager
):
    offer = CallOfferFactory(call=call, quantity_available=3, per_centre_cap=3)
    first, second = (submitted(call, lines=0) for _ in range(2))
    for application in (first, second):
        ApplicationLineFactory(application=application, offer=offer, requested_quantity=2)
    url = reverse("admin:appels_application_changelist")
    both = [first.pk, second.pk]

    as_user(client, ReviewerFactory())
    # Reviewers are not offered the action (no change permission): nothing happens.
    client.post(url, {"action": "select_applications", "_selected_action": both})
    assert Application.objects.filter(status=ApplicationStatus.SELECTED).count() == 0

    as_user(client, manager)
    response = client.post(
        url, {"action": "select_applications", "_selected_action": both}, follow=True
    )
    page = response.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ApplicationStatus.SELECTED
    assert second.status == ApplicationStatus.SUBMITTED  # only 1 pack left for 2 requested
    assert "il ne reste que 1 packs" in page

    client.post(url, {"action": "waitlist_applications", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.status == ApplicationStatus.WAITLISTED


# --- A reviewer's e-mail preferences ----------------------------------------------------


def test_a_reviewer_opts_out_of_review_emails_and_gets_none(
    client, reviewer, django_capture_on_commit_callbacks
):
    from appels import services

    url = reverse("centres:preferences")
    assert client.get(url).status_code == 302
    as_user(client, reviewer)
    assert "review_emails" in client.get(url).content.decode()

    response = client.post(url, {"first_name": "Alex", "last_name": "Durand", "phone": ""})

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.review_emails is False
    call = review_call(reviewers_per_application=1)
    submitted(call)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.auto_assign_reviewers(call)
    assert Review.objects.filter(reviewer=reviewer).exists()
    assert mail.outbox == []


def test_centre_staff_preferences_have_no_review_emails_field(client):
    staff = MembershipFactory().user
    as_user(client, staff)
    page = client.get(reverse("centres:preferences")).content.decode()
    assert "review_emails" not in page
    response = client.post(
        reverse("centres:preferences"),
        {"first_name": "x" * 200, "last_name": "Martin", "phone": ""},
    )
    assert response.status_code == 400
    assert "au plus 150 caractères" in response.content.decode()
    staff.refresh_from_db()
    assert staff.first_name != "x" * 200


def test_the_history_is_shown_only_to_who_may_see_the_record_and_never_reverts(
    client, call, reviewer
):
    mine = ReviewFactory(application=submitted(call), reviewer=reviewer)
    someone_elses = ReviewFactory(
        application=submitted(call), status=ReviewStatus.SUBMITTED, comment="Avis confidentiel"
    )
    as_user(client, reviewer)
    record = someone_elses.history.latest()

    assert client.get(reverse("admin:appels_review_history", args=[mine.pk])).status_code == 200
    hidden = client.get(reverse("admin:appels_review_history", args=[someone_elses.pk]))
    hidden_record = client.get(
        reverse("admin:appels_review_simple_history", args=[someone_elses.pk, record.pk])
    )
    assert hidden.status_code == 404 and hidden_record.status_code == 404
    revert = client.post(
        reverse("admin:appels_review_simple_history", args=[mine.pk, mine.history.latest().pk]),
        score_post(call, [1, 1]),
    )
    assert revert.status_code == 405
    assert not Score.objects.exists()
