"""What partners see on the wire, whichever way it reaches them (GraphQL, subscription or
webhook): global ids and cursors (`ids`), and a reward event's public JSON (`reward_event`)."""
