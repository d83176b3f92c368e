"""The REST API (v1) for tills and web shops: authentication by API client key, serializers that parse,
thin views that call one service each and turn domain errors into JSON responses."""
