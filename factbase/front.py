"""The front door, `/`: what Factbase is, and the ways in (the admin, the API, its docs and
its schema). The admin's "View site" leads here."""

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def front_door(request):
    return render(request, "front.html")
