async def test_graphiql_page_needs_no_key_and_sends_the_headers_tab_to_subscriptions(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "wsConnectionParams: (options && options.headers)" in response.text


async def test_a_get_query_without_a_key_is_refused(http):
    response = await http.get("/graphql?query={shop{name}}")
    assert response.status_code == 401
