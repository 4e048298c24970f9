"""What the stores' own webhooks mean, as pure functions of their payloads.

Each platform's module turns one webhook (topic and parsed JSON body) into the activities it
reports, or says why it counts nothing. Nothing here reads or writes the database: the
shell around it (engine/services/ingesting.py) records what these functions decide.
"""
