"""Forgotten passwords: ask for a link by email, then choose a new password with it."""

from django import forms
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from workflows.services.accounts import password_reset_request
from workflows.views.participants import InvitationView


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        help_text="The address you sign in with.",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )


def password_reset(request):
    """Ask for a link to choose a new password; the answer never says whether the address has
    an account."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_reset_request(email=form.cleaned_data["email"])
        return redirect("password_reset_sent")
    return render(request, "registration/password_reset.html", {"form": form})


def password_reset_sent(request):
    return render(request, "registration/password_reset_sent.html")


class PasswordResetLinkView(InvitationView):
    """Choose a new password from the emailed link (single use, and it expires)."""

    template_name = "registration/password_new.html"
    success_url = reverse_lazy("reviews:list")

    def get_template_names(self):
        if self.validlink:
            return [self.template_name]
        return ["registration/password_link_expired.html"]
