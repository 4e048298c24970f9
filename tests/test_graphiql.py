async def test_the_graphiql_page_needs_no_key(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_a_get_query_without_a_key_is_refused(http):
    response = await http.get("/graphql?query={shop{name}}")
    assert response.status_code == 401
