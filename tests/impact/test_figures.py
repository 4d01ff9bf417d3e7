"""The impact figures on small hand-built datasets match values computed by hand."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from appels.models import ApplicationStatus, Call
from equipements import impact, reporting
from equipements.models import AllocationStatus

pytestmark = pytest.mark.django_db

DECIDED = date(2031, 3, 2)


@pytest.fixture
def dataset(build):
    """One call, hand-computed:

    - A (Ille-et-Vilaine, Bretagne): selected, 3 computer packs at 90 € (450 € new),
      decided 2 March, delivered 10 days later; satisfied (4), opened a mediation space;
      three tickets on its computers: resolved in 2 and 5 days, one still open.
    - B (Nord, Hauts-de-France): selected, 1 fleet of 6 new tablets at 150 € (1,500 € new),
      delivered 21 days after the decision; dissatisfied (2).
    - C (Ille-et-Vilaine): rejected, yet a delivered allocation of 5 packs and a survey
      answer exist (bad data): never counted as equipped.
    - D (Nord): withdrawn after submitting, with a delivered allocation: never counted.
    - E: a draft: not even received.
    """
    call = build.call()
    a = build.application(call, department="35")
    _allocation, a_items = build.equip(
        a, desktops=3, decided_on=DECIDED, delivered_on=DECIDED + timedelta(days=10)
    )
    build.survey(a, satisfaction=4, opened=True, equipment_quality=3, ease_of_installation=4)
    build.ticket(a_items[0], a.centre, opened_on=date(2031, 4, 1), resolved_after_days=2)
    build.ticket(a_items[1], a.centre, opened_on=date(2031, 4, 3), resolved_after_days=5)
    build.ticket(a_items[2], a.centre, opened_on=date(2031, 4, 9))

    b = build.application(call, department="59")
    build.equip(b, fleets=1, decided_on=DECIDED, delivered_on=DECIDED + timedelta(days=21))
    build.survey(
        b, satisfaction=2, equipment_quality=2, ease_of_installation=3, testimonial="Bien."
    )

    c = build.application(call, department="35", status=ApplicationStatus.REJECTED)
    _c_allocation, c_items = build.equip(c, desktops=5, decided_on=DECIDED)
    build.survey(c, satisfaction=4, opened=True)
    build.ticket(c_items[0], c.centre, opened_on=date(2031, 4, 1), resolved_after_days=1)

    d = build.application(call, department="59", status=ApplicationStatus.WITHDRAWN)
    build.equip(d, desktops=2, decided_on=DECIDED)
    build.survey(d, satisfaction=4, opened=True)

    build.application(call, department="59", status=ApplicationStatus.DRAFT)
    return call


def calls_of(call):
    return Call.objects.filter(pk=call.pk)


def test_total_figures_match_the_hand_computed_values(dataset):
    figures = impact.breakdown(calls_of(dataset))[None]
    assert figures["applications_received"] == 4  # the draft is not received
    assert figures["applications_selected"] == 2
    assert figures["applications_rejected"] == 1
    assert figures["applications_withdrawn"] == 1
    assert figures["centres_equipped"] == 2
    assert figures["computers"] == 3
    assert figures["tablets"] == 6
    assert figures["tablet_centres"] == 1
    assert figures["tablets_per_centre"] == Decimal("6.0")
    assert figures["packs"] == 4
    assert figures["paid"] == Decimal("420.00")  # 3 × 90 + 150
    assert figures["market_value"] == Decimal("2850.00")  # 3 × 450 + 1,500
    assert figures["saving"] == Decimal("2430.00")
    assert figures["average_computer_price"] == Decimal("90.00")
    assert figures["average_pack_price"] == Decimal("105.00")  # 420 / 4
    assert figures["answers"] == 2
    assert figures["satisfied"] == 1
    assert figures["satisfaction_rate"] == Decimal("50")
    assert figures["mediation_spaces"] == 1
    # Median of 10 and 21 days: their mean.
    assert figures["median_delivery_days"] == Decimal("15.5")
    assert figures["tickets"] == 3
    assert figures["tickets_resolved"] == 2
    assert figures["median_resolution_days"] == Decimal("3.5")
    # Three second-hand desktops; the six new tablets are not reuse.
    assert figures["reused_devices"] == 3
    assert figures["avoided_waste_kg"] == Decimal("36")  # 3 × 12 kg
    assert figures["avoided_co2e_kg"] == Decimal("600")  # 3 × 200 kg CO2e


def test_figures_per_region_and_department(dataset):
    regions = impact.breakdown(calls_of(dataset), "region")
    assert regions["BRE"]["applications_received"] == 2  # A and the rejected C
    assert regions["BRE"]["applications_selected"] == 1
    assert regions["BRE"]["computers"] == 3
    assert regions["BRE"]["centres_equipped"] == 1
    assert regions["BRE"]["median_delivery_days"] == Decimal("10.0")
    assert regions["BRE"]["mediation_spaces"] == 1
    assert regions["BRE"]["tickets"] == 3
    assert regions["HDF"]["applications_received"] == 2  # B and the withdrawn D
    assert regions["HDF"]["tablets"] == 6
    assert regions["HDF"]["computers"] == 0
    assert regions["HDF"]["satisfaction_rate"] == Decimal("0")
    assert regions["HDF"]["median_delivery_days"] == Decimal("21.0")
    departments = impact.breakdown(calls_of(dataset), "department")
    assert departments["35"]["computers"] == 3
    assert departments["59"]["tablets"] == 6
    assert departments["59"]["applications_received"] == 2


def test_regions_added_up_from_departments_match_the_regions_grouped_in_sql(build, dataset):
    # Two departments of one region, and a centre equipped in two calls: its region counts
    # it once per selection, as the grouped query does.
    second = build.call(edition="2032", slug="edition-2032")
    for department in ("22", "35"):
        application = build.application(second, department=department)
        build.equip(application, desktops=2, fleets=1, decided_on=DECIDED)
        build.survey(application, satisfaction=3, opened=True)
    again = build.application(second, department="59")
    again.centre = dataset.applications.get(
        status=ApplicationStatus.SELECTED, centre__department="59"
    ).centre
    again.save()
    build.equip(again, desktops=1, decided_on=DECIDED)
    for calls in (calls_of(dataset), Call.objects.all()):
        regions, departments = impact.area_breakdowns(calls)
        assert regions == impact.breakdown(calls, "region")
        assert departments == impact.breakdown(calls, "department")
    assert regions["BRE"]["centres_equipped"] == 3
    assert regions["HDF"]["centres_equipped"] == 1


def test_figures_per_call_keep_calls_apart(build, dataset):
    other = build.call(edition="2032")
    e = build.application(other, department="75")
    build.equip(e, desktops=1, decided_on=DECIDED, delivered_on=DECIDED + timedelta(days=3))
    per_call = impact.breakdown(Call.objects.all(), "call")
    assert per_call[dataset.pk]["computers"] == 3
    assert per_call[other.pk]["computers"] == 1
    assert per_call[other.pk]["median_delivery_days"] == Decimal("3.0")
    assert per_call[other.pk]["applications_received"] == 1
    total = impact.breakdown(Call.objects.all())[None]
    assert total["computers"] == 4
    # 3, 10 and 21 days: the middle one.
    assert total["median_delivery_days"] == Decimal("10.0")


def test_withdrawn_or_rejected_applications_never_count_as_equipped(build):
    call = build.call()
    for status in (ApplicationStatus.WITHDRAWN, ApplicationStatus.REJECTED):
        application = build.application(call, status=status)
        _allocation, items = build.equip(application, desktops=4, fleets=1)
        build.survey(application, opened=True)
        build.ticket(items[0], application.centre, opened_on=DECIDED, resolved_after_days=1)
    waitlisted = build.application(call, status=ApplicationStatus.WAITLISTED)
    build.equip(waitlisted, desktops=1)
    figures = impact.breakdown(calls_of(call))[None]
    for name in (
        "centres_equipped",
        "computers",
        "tablets",
        "packs",
        "answers",
        "mediation_spaces",
        "tickets",
        "reused_devices",
    ):
        assert figures[name] == 0, name
    assert figures["paid"] == 0
    assert figures["avoided_co2e_kg"] == 0
    assert figures["median_delivery_days"] is None
    assert figures["applications_received"] == 3
    assert impact.headline_figures(calls_of(call))["computers"] == 0
    assert impact.equipment_by_pack_type(calls_of(call)) == []
    assert impact.deliveries_by_month(calls_of(call)) == []


def test_an_allocation_not_yet_delivered_is_not_counted(build):
    call = build.call()
    application = build.application(call)
    build.equip(application, desktops=2, status=AllocationStatus.SHIPPED)
    figures = impact.breakdown(calls_of(call))[None]
    assert figures["computers"] == 0
    assert figures["applications_selected"] == 1


def test_median_of_an_odd_number_of_deliveries_is_the_middle_one(build):
    call = build.call()
    for days in (30, 4, 12):
        application = build.application(call)
        build.equip(
            application,
            desktops=1,
            decided_on=DECIDED,
            delivered_on=DECIDED + timedelta(days=days),
            items=False,
        )
    assert impact.breakdown(calls_of(call))[None]["median_delivery_days"] == Decimal("12.0")


def test_survey_analytics_counts_each_answer_of_the_scale(dataset):
    survey = impact.survey_analytics(calls_of(dataset), None)[None]
    assert survey["answers"] == 2
    assert survey["satisfaction_rate"] == Decimal("50")
    assert survey["testimonials"] == 1
    assert survey["publishable_testimonials"] == 0
    satisfaction = survey["ratings"]["satisfaction"]
    assert satisfaction["counts"] == {1: 0, 2: 1, 3: 0, 4: 1}
    assert satisfaction["average"] == Decimal("3.00")
    quality = survey["ratings"]["equipment_quality"]
    assert quality["counts"] == {1: 0, 2: 1, 3: 1, 4: 0}
    assert quality["average"] == Decimal("2.50")
    # Nobody used the after-sales service in this survey: no answer, no average.
    assert survey["ratings"]["after_sales_responsiveness"]["answers"] == 0
    assert survey["ratings"]["after_sales_responsiveness"]["average"] is None


def test_only_publishable_testimonials_of_equipped_centres_are_public(build):
    call = build.call()
    shown = build.application(call)
    build.equip(shown, desktops=1, items=False)
    build.survey(shown, testimonial="Formidable.", is_testimonial_publishable=True)
    private = build.application(call)
    build.equip(private, desktops=1, items=False)
    build.survey(private, testimonial="Pas pour le public.")
    rejected = build.application(call, status=ApplicationStatus.REJECTED)
    build.equip(rejected, desktops=1, items=False)
    build.survey(rejected, testimonial="Jamais.", is_testimonial_publishable=True)
    public = impact.testimonials(calls_of(call), publishable_only=True)
    assert [answer.testimonial for answer in public] == ["Formidable."]
    assert len(impact.testimonials(calls_of(call))) == 2


def test_deliveries_per_month_include_months_without_delivery(build):
    call = build.call()
    for delivered_on, desktops, fleets in (
        (date(2031, 1, 15), 2, 0),
        (date(2031, 1, 20), 1, 1),
        (date(2031, 4, 2), 0, 1),
    ):
        application = build.application(call)
        build.equip(
            application,
            desktops=desktops,
            fleets=fleets,
            decided_on=date(2030, 12, 1),
            delivered_on=delivered_on,
            items=False,
        )
    series = impact.deliveries_by_month(calls_of(call))
    assert [(row["month"], row["computers"], row["tablets"]) for row in series] == [
        (date(2031, 1, 1), 3, 6),
        (date(2031, 2, 1), 0, 0),
        (date(2031, 3, 1), 0, 0),
        (date(2031, 4, 1), 0, 6),
    ]


def test_reuse_factors_are_read_from_the_settings_table(dataset, settings):
    settings.REUSE_IMPACT_FACTORS = {
        **settings.REUSE_IMPACT_FACTORS,
        "desktop": {"waste_kg": "10", "co2e_kg": "100.5"},
    }
    figures = impact.breakdown(calls_of(dataset))[None]
    assert figures["avoided_waste_kg"] == Decimal("30")
    assert figures["avoided_co2e_kg"] == Decimal("301.5")


def test_equipment_per_pack_type(dataset):
    rows = impact.equipment_by_pack_type(calls_of(dataset))
    by_kind = {row["pack_kind"]: row for row in rows}
    assert by_kind["desktop"]["packs"] == 3
    assert by_kind["desktop"]["devices"] == 3
    assert by_kind["desktop"]["average_price"] == Decimal("90.00")
    assert by_kind["tablet"]["devices"] == 6
    assert by_kind["tablet"]["saving"] == Decimal("1350.00")


def test_dashboard_tables_show_the_same_figures(dataset):
    data = reporting.dashboard(calls_of(dataset))
    editions = data["tables"]["editions"]
    row = editions.rows[0]
    assert row["computers"] == 3 and row["tablets"] == 6
    assert editions.total["saving"] == Decimal("2430.00")
    regions = {row["code"]: row for row in data["tables"]["regions"].rows}
    assert regions["BRE"]["area"] == "Bretagne"
    assert regions["HDF"]["tablets"] == 6
    assert data["tables"]["regions"].rows[0]["code"] in {"BRE", "HDF"}


def test_public_testimonials_skip_repeated_texts(build):
    call = build.call()
    for text in ("Super.", "Super.", "Merci !", "Très utile.", "Encore."):
        application = build.application(call)
        build.equip(application, desktops=1, items=False)
        build.survey(application, testimonial=text, is_testimonial_publishable=True)
    shown = [answer.testimonial for answer in impact.public_testimonials(calls_of(call))]
    assert len(shown) == 3
    assert len(set(shown)) == 3
