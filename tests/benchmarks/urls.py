"""The project's URLs plus the floor page, for the benchmarks only (never in production)."""

from django.shortcuts import render
from django.urls import path

from solidaire.urls import urlpatterns as project_urlpatterns


def floor(request):
    """The cheapest page: ``base.html`` through the same middleware, no domain query."""
    return render(request, "base.html")


urlpatterns = [path("__bench__/floor/", floor, name="bench_floor"), *project_urlpatterns]
