// Starts GraphiQL against this server's own /graphql (HTTP for queries and mutations, a
// websocket for subscriptions). Everything it loads comes from this server.
(function () {
  "use strict";
  var endpoint = new URL("/graphql", window.location.href);
  var sockets = new URL(endpoint.href);
  sockets.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  var WELCOME = [
    "# Milestones GraphiQL",
    "#",
    "# Put your API key in the Headers tab below:",
    '#   {"Authorization": "Bearer msk_admin_..."}',
    "# then run a query with Ctrl-Enter, for example:",
    "",
    "{ shop { name currency plan } }",
    "",
  ].join("\n");

  // ?q= prefills the editor (a link can share a query); `query=` is the GraphQL GET API's.
  var shared = new URLSearchParams(window.location.search).get("q");

  var fetcher = GraphiQL.createFetcher({ url: endpoint.href, subscriptionUrl: sockets.href });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: shared || WELCOME,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
