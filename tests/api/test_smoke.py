async def test_shop_query_returns_the_callers_shop(shops):
    shop = await shops()
    data = await shop.gql("{ shop { name currency plan } }")
    assert data["shop"] == {"name": shop.shop.name, "currency": "USD", "plan": "ADVANCED"}
