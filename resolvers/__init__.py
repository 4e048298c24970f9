"""The GraphQL layer: Strawberry types, queries, mutations and subscriptions by subject.

Resolvers translate GraphQL to engine calls and back; domain rules live in `engine/`.
"""
