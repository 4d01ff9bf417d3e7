"""The centre downloads its invoices (Factur-X PDF), after the portal's permission check."""

from django.shortcuts import get_object_or_404
from django.views import View

from centres.portal import CentreStaffMixin
from solidaire.documents.access import file_response, ready_document

from .documents import INVOICE_KINDS
from .models import Invoice


class InvoicePdfView(CentreStaffMixin, View):
    """Another centre's invoice is a 404: invoices are fetched in the user's scope."""

    def get(self, request, pk):
        invoice = get_object_or_404(
            Invoice.objects.visible_to(request.user).filter(
                allocation__application__centre=self.centre
            ),
            pk=pk,
        )
        return file_response(ready_document(invoice, INVOICE_KINDS))
