"""The search page: thin, the query and the rule live in search.query and search.visibility."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from search.forms import SearchForm
from search.query import PAGES_MAX, search
from search.suggest import did_you_mean


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Search what the reader may see; works as a plain GET form, JavaScript or not."""
    form = SearchForm(request.GET or None, viewer=request.user)
    results = suggestion = None
    if form.asked and form.is_valid():
        results = search(request.user, form.query, sort=form.sort_order, page=_page(request))
        if not results.hits and results.page == 1:
            suggestion = did_you_mean(request.user, form.query)
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "results": results, "params": params.urlencode()}
    if suggestion:
        params["q"] = suggestion
        context.update(suggestion=suggestion, suggestion_params=params.urlencode())
    return render(request, "search/search.html", context)


def _page(request: HttpRequest) -> int:
    """The page asked for, 1 when it is not a number from 1 to PAGES_MAX."""
    value = request.GET.get("page", "")
    if len(value) <= 4 and value.isascii() and value.isdecimal() and 1 <= int(value) <= PAGES_MAX:
        return int(value)
    return 1
