"""Who may read /metrics and the API docs (issue 15, finding 10)."""

from __future__ import annotations


def test_metrics_answer_loopback_only_without_a_token(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.5").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_metrics_through_a_proxy_on_the_same_machine_are_not_loopback(client, db, settings):
    """nginx on the same host connects from 127.0.0.1 but speaks for someone outside."""
    settings.METRICS_TOKEN = ""
    settings.TRUSTED_PROXIES = []
    outside = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert client.get("/metrics", **outside).status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_FORWARDED="for=1.2.3.4").status_code
        == 403
    )


def test_metrics_with_a_token_need_it_from_anywhere(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    ok = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cret-metrics"
    )
    assert ok.status_code == 200


def test_api_docs_are_for_signed_in_people(client, members):
    for path in ("/api/v1/docs", "/api/v1/openapi.json"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accounts/signin/" in response["Location"]
    client.force_login(members["client"].user)
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Kalrav API"
    assert client.get("/api/v1/docs").status_code == 200
