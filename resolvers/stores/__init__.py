"""Connected stores: connecting and disconnecting them, and each one's delivery log."""
