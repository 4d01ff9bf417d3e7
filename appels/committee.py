"""The committee's page in the admin: ranking, proposal, decisions within the stock, publication.

One page per call (``CallAdmin.ranking_view``) for programme managers. It lists the ranked
applications (weighted average, spread, reviews done/expected), the stock left per offer,
the platform's proposal, and lets the committee record outcomes and granted quantities for
several applications at once; exports go through :mod:`appels.resources`. Every change goes
through ``appels.services``.

Beside each offer (a promise) it shows the devices that exist, in stock and reserved, and
the packs they make once other calls' confirmed allocations have picked theirs
(:mod:`appels.stock`, counted by the stock app). Granting beyond that is allowed (stock
arrives after decisions; the offer's quantity stays the limit) but warned about, on the
page before deciding and in a message when decisions are recorded.
"""

import html

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from centres.geography import Region
from solidaire.errors import DomainError

from . import services
from .models import ApplicationLine, ApplicationStatus, CallStatus
from .ranking import (
    call_lines,
    filter_rows,
    granted_by_offer,
    load_applications,
    proposal_for,
    ranked_rows,
    ranking,
)
from .resources import RankingResource
from .stock import has_stock_counter, stock_by_pack_type

RANKING_PAGE_SIZE = 50

OUTCOMES = (
    (ApplicationStatus.SELECTED, ApplicationStatus.SELECTED.label),
    (ApplicationStatus.WAITLISTED, ApplicationStatus.WAITLISTED.label),
    (ApplicationStatus.REJECTED, ApplicationStatus.REJECTED.label),
)
EXPORT_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class CommitteeView:
    def __init__(self, model_admin, request, call):
        self.model_admin = model_admin
        self.request = request
        self.call = call
        self.region = request.GET.get("region", "")
        if self.region not in Region.values:
            self.region = ""
        self.offers = list(call.offers.select_related("pack_type").order_by("pack_type__name"))
        # Read once: the stock table adds up its granted packs, the proposal its requests.
        self.lines = call_lines(call)
        offer = request.GET.get("offer", "")
        self.offer = offer if offer in {str(o.pk) for o in self.offers} else ""

    @property
    def is_open(self):
        return self.call.status == CallStatus.REVIEW

    def response(self):
        if self.request.method == "POST":
            return self.post()
        export = self.request.GET.get("export")
        if export in EXPORT_FORMATS:
            return self.export(export)
        return self.render()

    def url(self):
        return reverse("admin:appels_call_ranking", args=[self.call.pk])

    # --- reading ---------------------------------------------------------------------

    def rows(self):
        """The ranking's rows (figures only, see ``ranking.ranked_rows``) as filtered; the
        whole call's stays in ``everything``, in rank order."""
        self.everything = ranked_rows(self.call)
        return filter_rows(self.everything, region=self.region, offer=self.offer)

    def propose_for(self, rows):
        """Attach the platform's proposal to ``rows`` while decisions are open. The proposal
        fills the stock by rank, so a row's depends only on the rows ranked above it: it is
        computed down to the lowest of ``rows`` (the first pages read a few dozen rows, not
        the whole call; the same proposal as for the whole call)."""
        if not self.is_open or not rows:
            return
        above = self.everything[: max(row.rank for row in rows)]
        proposals = proposal_for(self.call, above, offers=self.offers, lines=self.lines)
        for row in rows:
            row.proposal = proposals.get(row.application_id)

    def export(self, fmt):
        dataset = RankingResource().export(ranking(self.call, region=self.region, offer=self.offer))
        content = dataset.export(fmt)
        if fmt == "csv":
            content = "\ufeff" + content  # so that spreadsheet software reads UTF-8
        response = HttpResponse(content, content_type=EXPORT_FORMATS[fmt])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="classement-{self.call.slug}-{stamp}.{fmt}"'
        )
        return response

    def render(self, *, rows=None, errors=None, posted=None, status=200):
        rows = rows if rows is not None else self.rows()
        errors = errors or {}
        # A page of the ranking at a time: thousands of rows with their form fields took
        # seconds to render (make bench), so only the page's applications are loaded. The
        # form posts to the page's own URL: after a refused save the same page is shown again
        # with what was posted. Saving reads only the rows posted, so a page is decided on its
        # own; the proposal and the exports still cover the whole call.
        page = Paginator(rows, RANKING_PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = load_applications(page.object_list, page=True)
        self.propose_for(rows)
        page_query = self.request.GET.copy()
        page_query.pop("page", None)
        words = row_words()
        outcomes = [(value, str(label)) for value, label in OUTCOMES]
        for position, row in enumerate(rows):
            row.errors = errors.get(row.application_id, [])
            row.fields = self._row_fields(row, posted)
            row.html = row_html(
                row, position=position, is_open=self.is_open, words=words, outcomes=outcomes
            )
        granted = granted_by_offer(self.lines, self.everything)
        stock = self.stock_table(granted)
        context = {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.model_admin.model._meta,
            "title": _("Classement et décisions – %(call)s") % {"call": self.call},
            "call": self.call,
            "rows": rows,
            "offers": self.offers,
            "stock": stock,
            "has_stock": has_stock_counter(),
            "stock_warnings": [entry["warning"] for entry in stock if entry.get("warning")],
            "regions": Region.choices,
            "region": self.region,
            "offer": self.offer,
            "outcomes": OUTCOMES,
            "is_open": self.is_open,
            "has_errors": bool(errors),
            "query": self.request.GET.urlencode(),
            "page_obj": page,
            "is_paginated": page.has_other_pages(),
            "page_query": page_query.urlencode(),
        }
        return TemplateResponse(
            self.request, "admin/appels/call/ranking.html", context, status=status
        )

    def stock_table(self, granted):
        """One entry per offer: its packs granted and left to grant and, when the stock is
        counted (:mod:`appels.stock`), the devices in stock and reserved for its pack type,
        the packs they can ship and a warning when the packs granted, or those that may still
        be granted to the applications not decided yet, exceed them. One query."""
        counted = self._stock()
        planned = self._planned(granted) if self.is_open else {}
        entries = []
        for offer in self.offers:
            done = granted.get(offer.pk, 0)
            entry = {
                "offer": offer,
                "granted": done,
                "remaining": offer.quantity_available - done,
            }
            found = counted.get(offer.pack_type_id)
            if found is not None:
                shippable = found.packs(offer.pack_type.units_per_pack)
                entry.update(
                    in_stock=found.in_stock,
                    reserved=found.reserved,
                    committed=found.committed,
                    shippable=shippable,
                    warning=beyond_stock(offer, done, shippable)
                    or (
                        self.is_open
                        and may_go_beyond_stock(offer, planned.get(offer.pk, done), shippable)
                    )
                    or "",
                )
            entries.append(entry)
        return entries

    def _stock(self):
        return stock_by_pack_type(
            [offer.pack_type_id for offer in self.offers], exclude_call=self.call.pk
        )

    def _planned(self, granted):
        """Per offer id: the packs granted plus those the applications still to decide ask
        for (each within the cap), never beyond the offer: what may be granted in the end."""
        undecided = {
            row.application_id
            for row in self.everything
            if row.status == ApplicationStatus.SUBMITTED
        }
        caps = {offer.pk: offer.per_centre_cap for offer in self.offers}
        planned = dict(granted)
        for application_id, offer_id, requested, _granted in self.lines:
            if application_id in undecided and offer_id in caps:
                planned[offer_id] = planned.get(offer_id, 0) + min(requested, caps[offer_id])
        return {
            offer.pk: min(planned.get(offer.pk, 0), offer.quantity_available)
            for offer in self.offers
        }

    def warn_beyond_stock(self):
        """After decisions are recorded: a warning message per offer whose packs granted
        exceed what the stock can ship (two queries, when the stock is counted)."""
        if not has_stock_counter():
            return
        counted = self._stock()
        granted = dict(
            ApplicationLine.objects.filter(
                offer__call=self.call, application__status=ApplicationStatus.SELECTED
            )
            .order_by()
            .values_list("offer_id")
            .annotate(total=Sum("granted_quantity"))
        )
        for offer in self.offers:
            found = counted.get(offer.pack_type_id)
            if found is None:
                continue
            warning = beyond_stock(
                offer, granted.get(offer.pk) or 0, found.packs(offer.pack_type.units_per_pack)
            )
            if warning:
                self._message(warning, level=messages.WARNING)

    def _row_fields(self, row, posted):
        """Current (or just posted) outcome and granted quantity per line, for the form."""
        application = row.application
        prefix = f"a{application.pk}"
        if posted is not None:
            outcome = posted.get(f"{prefix}-outcome", "")
        elif application.status != ApplicationStatus.SUBMITTED:
            outcome = application.status
        else:
            outcome = ""
        lines = []
        for line in row.lines:
            name = f"{prefix}-line{line.offer_id}"
            if posted is not None:
                value = posted.get(name, "")
            elif line.granted_quantity is not None:
                value = line.granted_quantity
            elif row.proposal is not None and line.offer_id in row.proposal.granted:
                value = row.proposal.granted[line.offer_id]
            else:
                value = min(line.requested_quantity, line.offer.per_centre_cap)
            lines.append({"line": line, "name": name, "value": value})
        return {"prefix": prefix, "outcome": outcome, "lines": lines}

    # --- writing ---------------------------------------------------------------------

    def post(self):
        action = self.request.POST.get("action")
        user = self.request.user
        try:
            if action == "propose":
                count = services.apply_proposal(self.call, by=user)
                self._message(
                    _("Proposition appliquée : %(count)s décision(s) enregistrée(s).")
                    % {"count": count}
                )
                self.warn_beyond_stock()
            elif action == "publish":
                if not self.request.POST.get("confirm"):
                    raise DomainError(
                        _("Cochez la case de confirmation pour publier les résultats.")
                    )
                services.publish_results(self.call, by=user)
                self._message(_("Résultats publiés : chaque centre reçoit sa réponse par e-mail."))
            elif action == "save":
                return self.save()
            else:
                raise DomainError(_("Action inconnue."))
        except DomainError as error:
            self._message(" ".join(error.messages), level=messages.ERROR)
        return HttpResponseRedirect(self.url() + self._query())

    def _query(self):
        query = self.request.GET.urlencode()
        return f"?{query}" if query else ""

    def save(self):
        if not self.is_open:
            self._message(
                _("Les décisions sont figées une fois les résultats publiés."),
                level=messages.ERROR,
            )
            return HttpResponseRedirect(self.url() + self._query())
        posted = self.request.POST
        rows = self.rows()
        decided = load_applications(
            [row for row in rows if posted.get(f"a{row.application_id}-outcome", "")]
        )
        decisions, errors = [], {}
        valid_outcomes = {value for value, _label in OUTCOMES}
        for row in decided:
            application = row.application
            prefix = f"a{application.pk}"
            outcome = posted.get(f"{prefix}-outcome", "")
            if not outcome:
                continue
            if outcome not in valid_outcomes:
                errors[application.pk] = [_("Décision inconnue.")]
                continue
            granted, row_errors = {}, []
            for line in row.lines:
                raw = posted.get(f"{prefix}-line{line.offer_id}", "").strip()
                if outcome != ApplicationStatus.SELECTED:
                    continue
                try:
                    quantity = int(raw)
                except ValueError:
                    row_errors.append(
                        _("« %(pack)s » : indiquez un nombre entier de packs.")
                        % {"pack": line.offer.pack_type.name}
                    )
                    continue
                if quantity < 0:
                    row_errors.append(_("Une quantité accordée ne peut pas être négative."))
                    continue
                granted[line.offer_id] = quantity
            if row_errors:
                errors[application.pk] = row_errors
                continue
            unchanged = outcome == application.status and all(
                granted.get(line.offer_id) == line.granted_quantity
                for line in row.lines
                if outcome == ApplicationStatus.SELECTED
            )
            if not unchanged:
                decisions.append((application, outcome, granted, row.rank))
        if not errors and decisions:
            try:
                services.record_decisions(self.call, decisions, by=self.request.user)
            except services.DecisionErrors as error:
                errors = error.by_application
            except DomainError as error:
                self._message(" ".join(error.messages), level=messages.ERROR)
                return HttpResponseRedirect(self.url() + self._query())
        if errors:
            self._message(
                _("Aucune décision n’a été enregistrée : corrigez les lignes signalées."),
                level=messages.ERROR,
            )
            return self.render(rows=rows, errors=errors, posted=posted, status=400)
        self._message(
            _("%(count)s décision(s) enregistrée(s).") % {"count": len(decisions)}
            if decisions
            else _("Aucun changement à enregistrer.")
        )
        if decisions:
            self.warn_beyond_stock()
        return HttpResponseRedirect(self.url() + self._query())

    def _message(self, text, level=messages.SUCCESS):
        self.model_admin.message_user(self.request, text, level=level)


def beyond_stock(offer, granted, shippable):
    """The warning when ``granted`` packs of ``offer`` exceed the ``shippable`` ones."""
    if granted <= shippable:
        return ""
    return _(
        "« %(pack)s » : %(granted)s pack(s) accordé(s) alors que le stock n’en permet que "
        "%(shippable)s ; %(missing)s pack(s) ne pourront être expédiés qu’après un nouvel "
        "arrivage de matériel."
    ) % {
        "pack": offer.pack_type.name,
        "granted": granted,
        "shippable": shippable,
        "missing": granted - shippable,
    }


def may_go_beyond_stock(offer, planned, shippable):
    """The warning when the packs that may still be granted exceed the ``shippable`` ones."""
    if planned <= shippable:
        return ""
    return _(
        "« %(pack)s » : avec les candidatures encore à décider, jusqu’à %(planned)s pack(s) "
        "peuvent être accordés, mais le stock n’en permet que %(shippable)s aujourd’hui. "
        "Au-delà, les packs attendront un nouvel arrivage."
    ) % {"pack": offer.pack_type.name, "planned": planned, "shippable": shippable}


# --- one row of the ranking table ------------------------------------------------------


def esc(value):
    """``conditional_escape`` without its lazy-string wrapper (the rows hold no lazy
    strings): the same characters, at a fraction of the cost over thousands of cells."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


# Built here rather than in the template: a row holds some thirty values and a small form,
# and the template engine took over a millisecond per row, most of the page (make bench).
# Django's own changelist renders its rows in Python for the same reason.


def row_words():
    """The words every row repeats, translated once per page: the regions' names, and the
    applications' link (reversed once, as ``(before, after)`` the application's id)."""
    return {
        "regions": {value: str(label) for value, label in Region.choices},
        "application_url": tuple(
            reverse("admin:appels_application_change", args=[0]).split("/0/", 1)
        ),
        "diverge": _("Les évaluateurs divergent : à discuter en comité"),
        "disagreement": _("désaccord"),
        "select": _("retenir"),
        "waitlist": _("attente"),
        "reject": _("ne pas retenir"),
        "waitlisted": _("liste d’attente"),
        "number": _("n°"),
        "undecided": _("— à décider —"),
        "decision_for": _("Décision pour %(centre)s"),
        "requested": _("demandés"),
    }


def row_html(row, *, position, is_open, words, outcomes):
    """The ``<tr>`` of one ranked application, with its form fields while decisions are open.

    Written with f-strings and ``conditional_escape`` on every value, as ``format_html``
    would, which cost a third of the rows."""
    application = row.application
    centre = application.centre
    errors = ""
    if row.errors:
        errors = format_html(
            '<ul class="ranking-errors errorlist">{}</ul>',
            format_html_join("", "<li>{}</li>", ((error,) for error in row.errors)),
        )
    before, after = words["application_url"]
    average = localize(row.average) if row.average else "—"
    region = words["regions"].get(centre.region, centre.region)
    cells = [
        f"<td>{esc(number(row.rank))}</td>",
        f'<td><a href="{esc(f"{before}/{application.pk}/{after}")}">{esc(centre.name)}</a>'
        f"<br><small>{esc(centre.city)} · {esc(region)}</small>"
        f"{esc(errors)}</td>",
        f"<td>{esc(average)}</td>",
        f"<td>{esc(_spread(row, words))}</td>",
        f"<td>{esc(row.reviews_done)}/{esc(row.reviews_expected)}</td>",
        f"<td>{esc(_opinions(row, words))}</td>",
    ]
    if is_open:
        cells.append(f"<td>{esc(_proposal(row, words))}</td>")
    cells.append(f"<td>{esc(_decision(row, is_open, words, outcomes))}</td>")
    cells.append(f"<td>{esc(_granted(row, is_open, words))}</td>")
    row_class = "row2" if position % 2 else "row1"
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<tr id="row-{esc(application.pk)}" class="{row_class}">{"".join(cells)}</tr>'
    )


def number(value):
    """``localize`` of a row's figure; small integers need no separator in any language."""
    if type(value) is int and -1000 < value < 1000:
        return str(value)
    return localize(value)


def _spread(row, words):
    if row.spread is None:
        return "—"
    spread = esc(localize(row.spread))
    if not row.disagreement:
        return mark_safe(f"<span>{spread}</span>")  # noqa: S308 - escaped
    return mark_safe(  # noqa: S308 - escaped
        f'<span class="ranking-disagreement" title="{esc(words["diverge"])}">{spread} ⚠ '
        f"{esc(words['disagreement'])}</span>"
    )


def _opinions(row, words):
    counts = row.recommendation_counts
    if not counts:
        return "—"
    names = {"select": words["select"], "waitlist": words["waitlist"]}
    return mark_safe(  # noqa: S308 - escaped
        "<br>".join(
            f"{esc(count)} × {esc(names.get(value, words['reject']))}" for value, count in counts
        )
    )


def _proposal(row, words):
    proposal = row.proposal
    if proposal is None:
        return ""
    if proposal.outcome == ApplicationStatus.SELECTED:
        quantities = " + ".join(str(quantity) for quantity in proposal.granted.values())
        return mark_safe(f"{esc(words['select'])} ({esc(quantities)})")  # noqa: S308 - escaped
    if proposal.outcome == ApplicationStatus.WAITLISTED:
        return mark_safe(  # noqa: S308 - escaped
            f"{esc(words['waitlisted'])} {esc(words['number'])}&nbsp;{esc(proposal.waitlist_rank)}"
        )
    return words["reject"]


def _decision(row, is_open, words, outcomes):
    application = row.application
    if not is_open:
        if application.waitlist_rank:
            return format_html(
                "{} {}&nbsp;{}",
                application.get_status_display(),
                words["number"],
                application.waitlist_rank,
            )
        return application.get_status_display()
    prefix = esc(row.fields["prefix"])
    chosen = row.fields["outcome"]
    options = "".join(
        f'<option value="{esc(value)}"{" selected" if value == chosen else ""}>{esc(label)}'
        "</option>"
        for value, label in outcomes
    )
    label = words["decision_for"] % {"centre": application.centre.name}
    return mark_safe(  # noqa: S308 - escaped
        f'<label class="visually-hidden" for="{prefix}-outcome">{esc(label)}</label>\n      '
        f'<select name="{prefix}-outcome" id="{prefix}-outcome"><option value="">'
        f"{esc(words['undecided'])}</option>{options}</select>"
    )


def _granted(row, is_open, words):
    parts = []
    for field in row.fields["lines"]:
        line = field["line"]
        if is_open:
            name = esc(field["name"])
            parts.append(
                f'<label for="{name}">{esc(line.offer.pack_type.name)}</label> '
                f'<input type="number" min="0" max="{esc(number(line.offer.per_centre_cap))}" '
                f'name="{name}" id="{name}" value="{esc(number(field["value"]))}"> '
                f"<small>/ {esc(number(line.requested_quantity))} {esc(words['requested'])}"
                "</small>"
            )
        else:
            parts.append(
                format_html(
                    "{} / {} × {}",
                    number(line.granted_quantity or 0),
                    number(line.requested_quantity),
                    line.offer.pack_type.name,
                )
            )
    return mark_safe("<br>".join(parts))  # noqa: S308 - joined from format_html and escaped
