"""The project's URLs plus the floor pages, for the benchmarks only (never in production)."""

from django.contrib import admin
from django.shortcuts import render
from django.urls import path

from solidaire.urls import urlpatterns as project_urlpatterns


def floor(request):
    """The cheapest site page: ``base.html`` through the same middleware, no domain query."""
    return render(request, "base.html")


def admin_floor(request):
    """The cheapest admin page: ``admin/base_site.html`` with the admin's own context (menu,
    permissions), behind ``admin_view`` as every admin page is."""
    return render(request, "admin/base_site.html", admin.site.each_context(request))


urlpatterns = [
    path("__bench__/floor/", floor, name="bench_floor"),
    path("__bench__/admin-floor/", admin.site.admin_view(admin_floor), name="bench_admin_floor"),
    *project_urlpatterns,
]
