"""Pages about email: a review's emails, a person's preferences, a partnership's reminders."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from notifications.forms import EmailPreferenceForm, ReminderLadderForm
from notifications.ladder import LadderSettings
from notifications.models import EmailPreference, ReminderLadder
from notifications.reminders import ladder_changed
from notifications.selectors import review_emails_for
from workflows import permissions, selectors
from workflows.models import Partnership


def review_emails(request, reference: str):
    """Every email the review has caused, with how far sending and delivery got: coordinators."""
    review = selectors.review_for(request.user, reference)
    if not permissions.is_coordinator(review, request.user):
        raise PermissionDenied("Only the partnership's coordinators can see a review's emails.")
    emails = review_emails_for(review)
    return render(request, "notifications/review_emails.html", {"review": review, **emails})


def email_preferences(request):
    """Whether a person takes reminders one by one or in a daily digest."""
    preference, _ = EmailPreference.objects.get_or_create(user=request.user)
    initial = {"daily_digest": "yes" if preference.daily_digest else "no"}
    form = EmailPreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        preference.daily_digest = form.cleaned_data["daily_digest"]
        preference.save(update_fields=["daily_digest"])
        messages.success(request, "Your email preferences have been saved.")
        return redirect("email_preferences")
    return render(request, "notifications/preferences.html", {"form": form})


def reminder_ladder(request, slug: str):
    """When a partnership's reminders and escalations fall: its coordinators set them."""
    partnership = get_object_or_404(Partnership, slug=slug)
    if not selectors.partnerships_coordinated_by(request.user).filter(pk=partnership.pk).exists():
        raise PermissionDenied("Only the partnership's coordinators can change its reminders.")
    ladder = ReminderLadder.objects.filter(partnership=partnership).first()
    initial = ReminderLadderForm.initial_for(ladder, LadderSettings())
    form = ReminderLadderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            ReminderLadder.objects.update_or_create(
                partnership=partnership, defaults={**form.cleaned_data, "updated_by": request.user}
            )
            ladder_changed(partnership_id=partnership.pk)
        messages.success(request, f"Reminders for {partnership.name} have been saved.")
        return redirect("reminder_ladder", slug=partnership.slug)
    context = {"form": form, "partnership": partnership, "ladder": ladder}
    return render(request, "notifications/ladder.html", context)
