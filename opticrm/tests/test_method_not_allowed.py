"""A page asked with a method it does not take (a reloaded or bookmarked
POST address) answers 405 with the error pages' layout in the shop's
language, not require_http_methods' empty body; the API keeps its own."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_post_only_page_fetched_by_get_gets_the_error_page(owner_client):
    response = owner_client.get(reverse("invoices:new"))
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
    assert "405.html" in [template.name for template in response.templates]
    body = response.content.decode()
    assert '<html lang="de">' in body and "error-page" in body
    # The rules every page's answer passes still hold for this one.
    assert response["Cache-Control"] == "no-store, private"
    assert response["X-Frame-Options"] == "DENY"


def test_the_api_answers_a_wrong_method_itself(client):
    response = client.delete("/api/v1/customers")
    assert response.status_code == 405
    assert not response.templates
    assert b"<html" not in response.content
