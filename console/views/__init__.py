"""The back-office screens, a module per page family; each view parses a form, calls one service and renders."""
