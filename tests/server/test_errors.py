"""Every failure on /api/ answers the contract's one error shape with its own code."""

import pytest


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


def test_unknown_path_is_404(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_405(client):
    err = client.delete("/api/v1/auth/login")
    assert_error(err, 405, "method_not_allowed")
    assert "POST" in err.headers["Allow"]


def test_malformed_json_is_400(client):
    resp = client.post("/api/v1/auth/login", data="{not json",
                       content_type="application/json")
    assert_error(resp, 400, "malformed_json")


def test_wrong_content_type_is_415(client):
    resp = client.post("/api/v1/auth/login", data="username=a", content_type="text/plain")
    assert_error(resp, 415, "unsupported_media_type")


def test_unknown_field_is_422_with_details(client):
    resp = client.post("/api/v1/auth/login", json={
        "username": "a", "password": "b", "client_id": "6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11",
        "role": "city_admin"})
    err = assert_error(resp, 422, "validation_error")
    assert "role" in err["details"]


def test_body_that_is_not_an_object_is_422(client):
    assert_error(client.post("/api/v1/auth/login", json=[1, 2]), 422, "validation_error")


def test_oversize_body_is_413(client, app):
    big = b'{"username": "' + b"a" * (app.config["MAX_JSON_BYTES"] + 10) + b'"}'
    resp = client.post("/api/v1/auth/login", data=big, content_type="application/json")
    assert_error(resp, 413, "payload_too_large")


def test_body_over_the_request_limit_is_413(client, app):
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    resp = client.post("/api/v1/auth/login", data=big, content_type="application/json")
    assert_error(resp, 413, "payload_too_large")


def test_unexpected_exception_is_500_in_shape(app, client):
    from flask import Blueprint

    # A route that fails, registered on a throwaway blueprint under /api/.
    bp = Blueprint("boom", __name__)

    @bp.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("kaput")

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = client.get("/api/v1/_boom")
    err = assert_error(resp, 500, "internal_error")
    assert "kaput" not in err["message"]


def test_unauthenticated_is_401(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


@pytest.mark.parametrize("path", ["/api/v1/sites", "/api/v1/me"])
def test_cookie_is_not_a_credential(client, path):
    client.set_cookie("session", "anything")
    assert_error(client.get(path), 401, "unauthorized")
