def test_openapi_describes_the_api_from_the_view_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    login = doc["paths"]["/api/v1/auth/login"]["post"]
    schema_ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = schema_ref.rsplit("/", 1)[-1]
    assert set(doc["components"]["schemas"][name]["properties"]) == {
        "username", "password", "client_id", "device_name"}
    assert "/api/v1/sites/{site_id}" in doc["paths"]
    assert doc["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert "Error" in doc["components"]["schemas"]


def test_every_path_is_templated(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert [p for p in doc["paths"] if "<" in p or ">" in p] == []
    bulletin = next(p for p in doc["paths"] if p.startswith("/api/v1/bulletins/{bulletin_id}."))
    kind = next(q for q in doc["paths"][bulletin]["get"]["parameters"] if q["name"] == "kind")
    assert kind["schema"] == {"type": "string", "enum": ["xlsx", "pdf"]}


def test_push_documents_the_verification_extension(client):
    push = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/sync/push"]["post"]
    assert '`kind: "verification"`' in push["description"]
    assert "any subset of the checklist's items" in push["description"]
    assert "verifications" in push["description"]
