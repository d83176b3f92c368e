"""The benchmarks' own PostgreSQL databases (each script uses one, named by BENCH_DATABASE_URL)."""


def ensure_database(url: str, *, fresh: bool = False) -> None:
    """Create the database named by `url` if it does not exist; with `fresh`, drop it first (closing any
    connection to it), so that a run starts from nothing."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
