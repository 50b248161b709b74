"""The bench process's URLs: the product's, plus the two pages measured beside it.

Set as ``ROOT_URLCONF`` by ``bench.pages`` in the bench process only; the product never serves
these. ``/bench/minimal/`` is the baseline: the service's base template with one query.
``/bench/viewflow/`` is viewflow's own stock frontend over the product's flows, whose inbox is
the peer "My tasks" is measured against.
"""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path
from viewflow.urls import Site
from viewflow.workflow.flow import FlowViewset, WorkflowAppViewset

from workflows.flows import WORK_FLOWS
from workflows.models import Partnership

MINIMAL = engines["django"].from_string(
    """{% extends "base.html" %}
{% block title %}Benchmark baseline{% endblock %}
{% block content %}
  <h1 class="govuk-heading-l">Benchmark baseline</h1>
  <p class="govuk-body">The service has {{ partnerships }} partnerships.</p>
{% endblock %}"""
)


def minimal(request):
    """The base template and one query: what every page costs before it does any work."""
    return HttpResponse(MINIMAL.render({"partnerships": Partnership.objects.count()}, request))


peer = Site(
    title="viewflow",
    viewsets=[WorkflowAppViewset(flow_viewsets=[FlowViewset(flow) for flow in WORK_FLOWS])],
)

urlpatterns = [
    path("bench/minimal/", minimal, name="bench_minimal"),
    path("bench/viewflow/", peer.urls),
    path("", include("project.urls")),
]
