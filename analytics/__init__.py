"""Analytics (issue #13): read-only figures over the other apps' data, for the console's Marketing pages."""
