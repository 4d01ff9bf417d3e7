"""What the calls app holds about a person, for the RGPD export and erasure (see
centres.privacy)."""

from centres.privacy import register_eraser, register_section

from .models import Agreement, Application, Attachment, Review, SurveyAnswer


@register_section("candidatures_creees")
def applications(user):
    return list(
        Application.objects.filter(created_by=user)
        .order_by("created_at")
        .values(
            "id", "call__title", "call__edition", "centre__name", "status", "title", "summary",
            "audience", "expected_beneficiaries", "activities", "partners_description", "aim",
            "created_at", "submitted_at", "decided_at", "withdrawn_at",
        )
    )  # fmt: skip


@register_section("pieces_jointes_deposees")
def attachments(user):
    return list(
        Attachment.objects.filter(uploaded_by=user)
        .order_by("uploaded_at")
        .values(
            "application_id", "original_name", "description", "content_type", "size", "sha256",
            "uploaded_at",
        )
    )  # fmt: skip


@register_section("evaluations")
def reviews(user):
    result = []
    queryset = (
        Review.objects.filter(reviewer=user)
        .select_related("application__centre", "application__call")
        .prefetch_related("scores__criterion")
        .order_by("assigned_at")
    )
    for review in queryset:
        result.append(
            {
                "candidature": review.application_id,
                "centre": review.application.centre.name,
                "appel": str(review.application.call),
                "statut": review.status,
                "commentaire": review.comment,
                "recommandation": review.recommendation,
                "motif_conflit": review.conflict_reason,
                "attribuee_le": review.assigned_at,
                "rendue_le": review.submitted_at,
                "notes": [
                    {"critere": str(score.criterion), "note": score.value}
                    for score in review.scores.all()
                ],
            }
        )
    return result


@register_section("reponses_enquete")
def survey_answers(user):
    return list(
        SurveyAnswer.objects.filter(answered_by=user).values(
            "application_id", "satisfaction", "equipment_quality", "ease_of_installation",
            "after_sales_responsiveness", "opened_mediation_space", "testimonial",
            "is_testimonial_publishable", "answered_at",
        )
    )  # fmt: skip


@register_section("conventions_signees")
def agreements(user):
    return list(
        Agreement.objects.filter(signed_by=user).values(
            "number", "application_id", "status", "signed_at", "signer_name", "signer_role"
        )
    )


@register_eraser("temoignages")
def erase_testimonials(identity):
    """The testimonial the person wrote is erased (and so no longer publishable); the
    ratings stay for the figures."""
    return (
        SurveyAnswer.objects.filter(answered_by_id=identity.user_id)
        .exclude(testimonial="", is_testimonial_publishable=False)
        .update(testimonial="", is_testimonial_publishable=False)
    )
