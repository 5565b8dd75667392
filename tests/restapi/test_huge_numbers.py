"""Out-of-range numbers in the API's paths and pages answer 404 or 422, never 500."""

from isms.auth.models import Role

HUGE = 10**20


def test_huge_ids_and_pages_never_answer_500(app, make_token, api):
    token = make_token(Role.LEAD, token_scope="read")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or "GET" not in rule.methods:
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            value = HUGE if type(converter).__name__ == "IntegerConverter" else "A.5.1.1"
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
            path = path.replace(f"<string:{name}>", str(value))
        for query in ("", f"?page={HUGE}", f"?page=1&per_page={HUGE}"):
            status = api.get(token, path + query).status_code
            assert status < 500, f"{path}{query} answered {status}"
            checked += 1
    assert checked > 20
