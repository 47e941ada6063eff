from __future__ import annotations

from unittest import mock

from django.core.management import call_command

from kalrav.ops import checks


def test_healthz_reports_database_and_queue(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_fails_when_the_queue_does_not_answer(client, db):
    with mock.patch("kalrav.ops.checks.HUEY.pending_count", side_effect=ConnectionError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == {"ok": False, "detail": "ConnectionError", "pending": None}


def test_healthz_fails_when_the_database_does_not_answer(client, db):
    with mock.patch("kalrav.ops.checks.connection.cursor", side_effect=OSError("gone")):
        assert checks.database_ok() == (False, "OSError")


def test_worker_heartbeat_shows_in_health_and_metrics(client, db, capsys):
    call_command("ping_worker", "--timeout", "5")  # immediate mode in tests: runs inline
    assert "worker ran the task" in capsys.readouterr().out
    assert client.get("/healthz").json()["worker_last_seen"] is not None
    assert "kalrav_worker_heartbeat_timestamp_seconds" in client.get("/metrics").content.decode()


def test_metrics_are_prometheus_text(client, workspace, members):
    client.get("/healthz")
    text = client.get("/metrics").content.decode()
    assert "# TYPE kalrav_http_requests_total counter" in text
    assert "kalrav_database_up 1.0" in text
    assert "kalrav_workspaces 1.0" in text
    assert 'kalrav_members{role="client"} 1.0' in text


def test_metrics_token_when_configured(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics").status_code == 200
