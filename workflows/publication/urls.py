"""Pages of one review under /reviews/<reference>/ (included by workflows.urls)."""

urlpatterns = []
