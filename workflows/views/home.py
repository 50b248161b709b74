from django.shortcuts import redirect, render


def home(request):
    """The service's start page; people already signed in go straight to their reviews."""
    if request.user.is_authenticated:
        return redirect("reviews:list")
    return render(request, "home.html")
