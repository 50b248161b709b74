"""Pages for importing reviews from a spreadsheet: upload, check, import.

Only coordinators may import, and only into a partnership they coordinate (403 for everyone
else, like starting a review). The rows checked on upload wait in the session (server-side, with
the rest of the signed-in session) until the coordinator confirms; they are checked again when
imported, since reviews may have been started in between.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from workflows import selectors
from workflows.imports.columns import COLUMNS, DATE_FORMATS, template_csv
from workflows.imports.errors import ImportRefused
from workflows.imports.forms import ReviewImportForm
from workflows.imports.reading import MAX_REVIEWS, RawRow, read_import_file
from workflows.imports.services import reviews_count, reviews_import
from workflows.imports.validation import rows_check

SESSION_KEY = "review_import"
# The error summary lists this many problems; a file with more is mostly wrong in one way.
SHOWN_PROBLEMS = 100


def _coordinated(request):
    partnerships = selectors.partnerships_coordinated_by(request.user)
    if not partnerships.exists():
        raise PermissionDenied("Only a community safety coordinator can import reviews.")
    return partnerships


def review_import_view(request):
    """Upload a spreadsheet of notifications; if every row is right, go on to check them."""
    partnerships = _coordinated(request)
    posted = request.method == "POST"
    form = ReviewImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        partnerships=partnerships,
    )
    if posted and form.is_valid():
        partnership = form.cleaned_data["partnership"]
        try:
            raw_rows = read_import_file(form.cleaned_data["file"])
            rows_check(raw_rows, partnership=partnership)
        except ImportRefused as refused:
            request.session.pop(SESSION_KEY, None)
            return _upload_page(request, form, refused.messages)
        request.session[SESSION_KEY] = {
            "partnership": partnership.pk,
            "rows": [raw.as_dict() for raw in raw_rows],
        }
        return redirect("reviews:import_check")
    return _upload_page(request, form)


def review_import_check(request):
    """Show the rows to "Check the reviews you are importing", then import them all at once."""
    partnerships = _coordinated(request)
    pending = request.session.get(SESSION_KEY) or {}
    partnership = partnerships.filter(pk=pending.get("partnership")).first()
    if partnership is None:
        return redirect("reviews:import")
    raw_rows = [RawRow(**raw) for raw in pending["rows"]]
    form = ReviewImportForm(partnerships=partnerships, initial={"partnership": partnership})
    try:
        if request.method == "POST":
            imported = reviews_import(partnership=partnership, by=request.user, raw_rows=raw_rows)
        else:
            rows = rows_check(raw_rows, partnership=partnership)
    except ImportRefused as refused:
        # Something changed since the upload (a review started by hand, an agency removed).
        request.session.pop(SESSION_KEY, None)
        return _upload_page(request, form, refused.messages)
    if request.method == "POST":
        request.session.pop(SESSION_KEY, None)
        references = ", ".join(done.review.reference for done in imported)
        messages.success(request, f"{reviews_count(len(imported))} imported: {references}.")
        return redirect("reviews:list")
    return render(request, "imports/check.html", {"partnership": partnership, "rows": rows})


def review_import_template(request):
    """The header row to fill in, as a CSV file."""
    _coordinated(request)
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="review-import-template.csv"'
    return response


def _upload_page(request, form, problems: list[str] = ()):
    if problems:
        # Set on the errors directly: the form may be unbound (problems found on the check page).
        form.errors["file"] = form.error_class(
            [
                problems[0]
                if len(problems) == 1
                else f"The file has {len(problems)} problems: fix them and upload it again"
            ]
        )
    context = {
        "form": form,
        "problems": problems[:SHOWN_PROBLEMS],
        "more_problems": max(len(problems) - SHOWN_PROBLEMS, 0),
        "columns": COLUMNS,
        "date_formats": DATE_FORMATS,
        "max_reviews": MAX_REVIEWS,
    }
    return render(request, "imports/upload.html", context)
