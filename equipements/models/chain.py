"""The chain of a selected application, from the decision to the survey, as one list.

``SelectedApplication`` is a proxy of :class:`appels.models.Application` (no table of its own):
the programme managers' page that shows where each selected application stands, what comes
next, and acts on many at once. Its step is computed in SQL so that the list filters and
counts by step without reading the rows.
"""

from django.db import models
from django.db.models import Case, ExpressionWrapper, FilteredRelation, Q, Value, When
from django.utils.translation import gettext_lazy as _

from appels.models import AgreementStatus, Application, ApplicationStatus

from .allocations import AllocationStatus
from .invoices import InvoiceKind
from .shipments import ShipmentStatus


class ChainStep(models.TextChoices):
    ALLOCATION_TO_PROPOSE = "allocation_to_propose", _("attribution à proposer")
    AGREEMENT_TO_ISSUE = "agreement_to_issue", _("convention à émettre")
    AGREEMENT_TO_SIGN = "agreement_to_sign", _("convention à signer par le centre")
    ALLOCATION_TO_CONFIRM = "allocation_to_confirm", _("attribution à confirmer")
    TO_PICK = "to_pick", _("matériel à préparer")
    TO_SHIP = "to_ship", _("à expédier")
    IN_TRANSIT = "in_transit", _("en route, réception à confirmer par le centre")
    INCIDENT = "incident", _("incident à régler")
    TO_INVOICE = "to_invoice", _("à facturer")
    SURVEY = "survey", _("enquête de satisfaction attendue")
    DONE = "done", _("terminé")
    CANCELLED = "cancelled", _("attribution annulée")


class SelectedApplicationQuerySet(models.QuerySet):
    def with_chain(self):
        """Each application's position in the chain (one query, whatever the number).

        The agreement, the survey answer and the allocation's invoice are one per
        application: joined, not looked up per row.
        """
        status = "allocation__status"
        live_agreement = Q(agreement__isnull=False) & ~Q(agreement__status=AgreementStatus.VOID)
        signed = Q(agreement__status=AgreementStatus.SIGNED)
        return (
            self.annotate(
                # An allocation has one invoice (issue_invoice returns it when it exists).
                invoice=FilteredRelation(
                    "allocation__invoices",
                    condition=Q(allocation__invoices__kind=InvoiceKind.INVOICE),
                ),
            )
            .annotate(
                has_agreement=ExpressionWrapper(live_agreement, output_field=models.BooleanField()),
                agreement_signed=ExpressionWrapper(signed, output_field=models.BooleanField()),
                is_invoiced=ExpressionWrapper(
                    Q(invoice__isnull=False), output_field=models.BooleanField()
                ),
                is_surveyed=ExpressionWrapper(
                    Q(survey_answer__isnull=False), output_field=models.BooleanField()
                ),
            )
            .annotate(
                step=Case(
                    When(**{status: AllocationStatus.CANCELLED}, then=Value(ChainStep.CANCELLED)),
                    When(
                        Q(**{status: AllocationStatus.DELIVERED}) & Q(invoice__isnull=True),
                        then=Value(ChainStep.TO_INVOICE),
                    ),
                    When(
                        Q(**{status: AllocationStatus.DELIVERED}) & Q(survey_answer__isnull=True),
                        then=Value(ChainStep.SURVEY),
                    ),
                    When(**{status: AllocationStatus.DELIVERED}, then=Value(ChainStep.DONE)),
                    When(
                        allocation__shipment__status=ShipmentStatus.INCIDENT,
                        allocation__shipment__settled_at__isnull=True,
                        then=Value(ChainStep.INCIDENT),
                    ),
                    When(**{status: AllocationStatus.SHIPPED}, then=Value(ChainStep.IN_TRANSIT)),
                    When(**{status: AllocationStatus.PICKED}, then=Value(ChainStep.TO_SHIP)),
                    When(**{status: AllocationStatus.CONFIRMED}, then=Value(ChainStep.TO_PICK)),
                    When(allocation__isnull=True, then=Value(ChainStep.ALLOCATION_TO_PROPOSE)),
                    When(~live_agreement, then=Value(ChainStep.AGREEMENT_TO_ISSUE)),
                    When(~signed, then=Value(ChainStep.AGREEMENT_TO_SIGN)),
                    default=Value(ChainStep.ALLOCATION_TO_CONFIRM),
                    output_field=models.CharField(),
                )
            )
        )


class SelectedApplicationManager(models.Manager.from_queryset(SelectedApplicationQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(status=ApplicationStatus.SELECTED)


class SelectedApplication(Application):
    """A selected application seen along its chain (a proxy: the application's own row)."""

    objects = SelectedApplicationManager()

    class Meta:
        proxy = True
        verbose_name = _("suivi d’une candidature retenue")
        verbose_name_plural = _("suivi des candidatures retenues")
