"""The centre downloads its agreement as PDF, after the portal's permission check."""

from django.shortcuts import get_object_or_404
from django.views import View

from solidaire.documents.access import file_response, ready_document

from .documents import AGREEMENT_KINDS
from .models import Agreement
from .views import ApplicationMixin


class AgreementPdfView(ApplicationMixin, View):
    """Another centre's agreement is a 404: the application is fetched in the user's scope."""

    def get(self, request, pk):
        agreement = get_object_or_404(Agreement, application=self.get_application())
        return file_response(ready_document(agreement, AGREEMENT_KINDS))
