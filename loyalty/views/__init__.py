"""Views by area: the console (Marketing) and the till (Cashiers)."""
