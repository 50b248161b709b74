"""The public pages of published reviews (no sign-in) and the coordinators' page of feedback.

Every public view finds its content through ``workflows.public.selectors``: what is not public
there is "not found" here.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from workflows.models import Partnership
from workflows.public import selectors
from workflows.public.feedback import FeedbackRateLimited, page_feedback_record
from workflows.public.forms import PageFeedbackForm
from workflows.selectors import partnerships_managed_by

FEEDBACK_PAGE_SIZE = 200


@require_safe
def published_index(request):
    """The partnerships that have published reviews, with how many."""
    partnerships = selectors.public_partnerships()
    return render(request, "public/index.html", {"partnerships": partnerships})


@require_safe
def published_partnership(request, slug: str):
    """A partnership's Domestic Homicide Reviews page: what reviews are, then each review."""
    partnership = selectors.public_partnership(slug)
    context = {
        "partnership": partnership,
        "reviews": selectors.public_reviews(partnership),
        "feedback_form": PageFeedbackForm(),
    }
    return render(request, "public/partnership.html", context)


@require_safe
def published_document(request, slug: str, token: str, file_name: str = ""):
    """Send a published document as an attachment under its neutral name."""
    published, neutral_name = selectors.public_document(partnership_slug=slug, token=token)
    if file_name and file_name != neutral_name:
        # An old link whose name no longer matches (the library title can change): send people
        # to the current one rather than fail.
        return redirect("public:document_named", slug=slug, token=token, file_name=neutral_name)
    version = published.version
    response = FileResponse(
        version.file.storage.open(version.file.name, "rb"),
        as_attachment=True,
        filename=neutral_name,
        content_type=version.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Not kept by browsers or shared caches: an archived or withdrawn report must go at once.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def published_feedback(request, slug: str):
    """Store an answer to "Was this page helpful?" (the form is on the partnership's page)."""
    partnership = selectors.public_partnership(slug)
    form = PageFeedbackForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                page_feedback_record(
                    partnership=partnership,
                    helpful=form.cleaned_data["helpful"],
                    comment=form.cleaned_data["comment"],
                    client_ip=request.META.get("REMOTE_ADDR", ""),
                )
            except FeedbackRateLimited as limited:
                form.add_error(None, limited.message)
                status = 429
            else:
                return redirect("public:feedback_sent", slug=partnership.slug)
    context = {"partnership": partnership, "form": form}
    return render(request, "public/feedback.html", context, status=status)


@require_safe
def published_feedback_sent(request, slug: str):
    """The thank-you confirmation after an answer was stored."""
    partnership = selectors.public_partnership(slug)
    return render(request, "public/feedback_sent.html", {"partnership": partnership})


@require_safe
def page_feedback(request, slug: str):
    """The answers people gave on the partnership's public page: for its coordinators and CSP
    chairs only."""
    partnership = get_object_or_404(Partnership, slug=slug)
    if not partnerships_managed_by(request.user).filter(pk=partnership.pk).exists():
        raise PermissionDenied("Only the partnership's coordinators can read its page feedback.")
    answers = partnership.page_feedback.all()
    counts = answers.aggregate(
        total=Count("pk"),
        said_yes=Count("pk", filter=Q(helpful=True)),
        said_no=Count("pk", filter=Q(helpful=False)),
    )
    context = {
        "partnership": partnership,
        "answers": answers[:FEEDBACK_PAGE_SIZE],
        "counts": counts,
        "page_size": FEEDBACK_PAGE_SIZE,
        "is_public": selectors.public_partnerships().filter(pk=partnership.pk).exists(),
    }
    return render(request, "public/page_feedback.html", context)
