"""The Graph client against answers in the shapes Meta's error-handling and rate-limiting guides
document: every error code becomes the error that says what to do, the usage headers are read
after every call and a nearly spent budget stops calls before Meta throttles them."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest
import respx

from kalrav.connectors.errors import AuthExpired, RateLimited, Rejected, Transient
from kalrav.connectors.networks.facebook.client import GRAPH_VERSION, GraphClient, appsecret_proof

URL = f"https://graph.facebook.com/{GRAPH_VERSION}"
OPTIONS = {"resolver": lambda host, port: ["157.240.1.35"]}


def make(clock=lambda: 1_000_000.0, **kwargs) -> GraphClient:
    return GraphClient(
        "page-token", http_options=OPTIONS, clock=clock, sleep=lambda s: None, **kwargs
    )


def error(code: int, subcode: int | None = None, status: int = 400, **extra) -> httpx.Response:
    body = {"message": f"error {code}", "type": "OAuthException", "code": code, "fbtrace_id": "A"}
    if subcode is not None:
        body["error_subcode"] = subcode
    return httpx.Response(status, json={"error": {**body, **extra}}, headers=extra.pop("h", {}))


def test_appsecret_proof_is_hmac_of_the_token_and_sent_with_every_call():
    expected = hmac.new(b"app-secret", b"page-token", hashlib.sha256).hexdigest()
    assert appsecret_proof("page-token", "app-secret") == expected
    with respx.mock() as router, make(app_secret="app-secret") as graph:
        route = router.get(f"{URL}/me").respond(json={"id": "1"})
        assert graph.get("me", {"fields": "id,name"}) == {"id": "1"}
        sent = route.calls.last.request
        assert sent.url.params["appsecret_proof"] == expected
        assert sent.url.params["fields"] == "id,name"
        assert sent.headers["Authorization"] == "Bearer page-token"


def test_a_paging_link_keeps_its_cursor_beside_the_proof():
    """Meta's `next` links carry the cursor in their query; the proof is added, not swapped in."""
    with respx.mock() as router, make(app_secret="app-secret") as graph:
        route = router.get(f"{URL}/1/feed").respond(json={"data": []})
        graph.get(f"{URL}/1/feed?limit=25&after=QVFIUmNX")
        sent = route.calls.last.request.url.params
        assert (sent["after"], sent["limit"]) == ("QVFIUmNX", "25")
        assert sent["appsecret_proof"] == appsecret_proof("page-token", "app-secret")


def test_no_proof_without_a_secret():
    with respx.mock() as router, make() as graph:
        route = router.get(f"{URL}/me").respond(json={"id": "1"})
        graph.get("/me")
        assert "appsecret_proof" not in route.calls.last.request.url.params


@pytest.mark.parametrize(
    ("code", "subcode", "kind"),
    [
        (190, None, AuthExpired),
        (190, 463, AuthExpired),
        (190, 460, AuthExpired),
        (102, None, AuthExpired),
        (100, 467, AuthExpired),
        (4, None, RateLimited),
        (17, None, RateLimited),
        (32, None, RateLimited),
        (613, None, RateLimited),
        (80001, None, RateLimited),
        (1, None, Transient),
        (2, None, Transient),
        (100, None, Rejected),
        (200, None, Rejected),
        (368, None, Rejected),
    ],
)
def test_each_error_code_is_typed(code, subcode, kind):
    with respx.mock() as router, make() as graph:
        router.post(f"{URL}/1/feed").mock(return_value=error(code, subcode))
        with pytest.raises(kind) as raised:
            graph.post("1/feed", {"message": "hi"})
    if kind is Rejected:
        assert raised.value.reason == f"error {code}"  # Meta's own words reach the user


def test_user_message_is_preferred_when_meta_gives_one():
    with respx.mock() as router, make() as graph:
        router.post(f"{URL}/1/feed").mock(
            return_value=error(100, error_user_msg="The link is not allowed.")
        )
        with pytest.raises(Rejected, match="The link is not allowed"):
            graph.post("1/feed", {"link": "http://x"})


def test_transient_get_is_retried_and_post_is_not():
    with respx.mock() as router, make() as graph:
        get = router.get(f"{URL}/1").mock(
            side_effect=[error(2), httpx.Response(200, json={"id": "1"})]
        )
        assert graph.get("1") == {"id": "1"}
        assert get.call_count == 2
        post = router.post(f"{URL}/1/feed").mock(return_value=httpx.Response(503, text="down"))
        with pytest.raises(Transient):
            graph.post("1/feed", {"message": "x"})
        assert post.call_count == 1


def test_usage_headers_are_read_and_spent_budget_refuses_calls_until_regained():
    now = [1_000_000.0]
    business = {
        "112": [
            {
                "type": "pages",
                "call_count": 96,
                "total_cputime": 10,
                "total_time": 12,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    with respx.mock() as router, make(clock=lambda: now[0]) as graph:
        route = router.get(f"{URL}/112").mock(
            return_value=httpx.Response(
                200,
                json={"id": "112"},
                headers={
                    "X-App-Usage": json.dumps(
                        {"call_count": 20, "total_cputime": 5, "total_time": 9}
                    ),
                    "X-Business-Use-Case-Usage": json.dumps(business),
                },
            )
        )
        graph.get("112")
        assert graph.usage.percent == 96
        assert graph.usage.regain_seconds == 7 * 60
        with pytest.raises(RateLimited) as raised:
            graph.get("112")
        assert raised.value.retry_after == pytest.approx(420)
        assert route.call_count == 1  # refused before it left
        now[0] += 421
        graph.get("112")
        assert route.call_count == 2


def test_usage_below_the_ceiling_lets_calls_go():
    with respx.mock() as router, make() as graph:
        route = router.get(f"{URL}/1").mock(
            return_value=httpx.Response(
                200,
                json={"id": "1"},
                headers={"X-App-Usage": '{"call_count":60,"total_cputime":1,"total_time":1}'},
            )
        )
        graph.get("1")
        graph.get("1")
        assert graph.usage.percent == 60
        assert route.call_count == 2


def test_rate_limit_error_waits_for_metas_estimate():
    business = {"9": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    with respx.mock() as router, make() as graph:
        router.get(f"{URL}/9").mock(
            return_value=httpx.Response(
                400,
                json={"error": {"message": "limit", "code": 80001}},
                headers={"X-Business-Use-Case-Usage": json.dumps(business)},
            )
        )
        with pytest.raises(RateLimited) as raised:
            graph.get("9")
        assert raised.value.retry_after == 180


def test_bare_true_answer_is_wrapped():
    with respx.mock() as router, make() as graph:
        router.delete(f"{URL}/55").respond(json=True)
        assert graph.delete("55") == {"success": True}


def test_a_shared_budget_holds_the_next_client_with_the_same_token():
    spent = {"X-App-Usage": '{"call_count":99,"total_cputime":1,"total_time":1}'}
    with respx.mock() as router:
        route = router.get(f"{URL}/1").mock(
            return_value=httpx.Response(200, json={"id": "1"}, headers=spent)
        )
        with make(shared_budget=True) as first:
            first.get("1")
        with make(shared_budget=True) as second, pytest.raises(RateLimited):
            second.get("1")  # another task, another client: still waits
        other = GraphClient(
            "another-token", http_options=OPTIONS, clock=lambda: 1_000_000.0, shared_budget=True
        )
        with other:
            other.get("1")
        with make() as unshared:
            unshared.get("1")  # not opted in: knows only its own answers
    assert route.call_count == 3


def test_a_paging_link_to_another_host_is_not_followed_with_the_token():
    with respx.mock(assert_all_called=False) as router, make() as graph:
        stranger = router.get("https://evil.example/next").respond(json={"data": []})
        with pytest.raises(Rejected, match=r"evil\.example"):
            graph.get("https://evil.example/next?after=abc")
        assert not stranger.called
        follow = router.get(f"{URL}/1/feed").respond(json={"data": []})
        graph.get(f"{URL}/1/feed?after=abc")
        assert follow.called
