"""The term vocabulary a "did you mean" draws its candidates from.

SQLite reads FTS5's own vocabulary (an fts5vocab table over search_fts). PostgreSQL
keeps a table of the words (CORRECT_MIN letters or more) that entries were ever
indexed under, filled by a trigger as entries are written. Neither holds an audience:
a candidate is shown only once a search as the reader finds it (search.suggest).
"""

from importlib import import_module

from django.db import migrations

from search.analysis import CORRECT_MIN

VendorSQL = import_module("search.migrations.0001_index").VendorSQL

SQLITE_FORWARDS = ["CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, row)"]
SQLITE_BACKWARDS = ["DROP TABLE IF EXISTS search_fts_vocab"]
# Words only: not Han (its tokens are one or two characters long), not numbers. The
# rows go in sorted, so two transactions adding the same new words never deadlock.
TERMS = f"""SELECT t FROM unnest(tsvector_to_array(%s)) AS t
    WHERE length(t) >= {CORRECT_MIN} AND t !~ '^[0-9]+$'"""
POSTGRESQL_FORWARDS = [
    'CREATE TABLE search_term (term text COLLATE "C" PRIMARY KEY)',
    f"""CREATE FUNCTION search_entry_terms() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_term (term) {TERMS % "NEW.document"} ORDER BY 1
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_entry_terms AFTER INSERT OR UPDATE OF title, body
    ON search_entry FOR EACH ROW EXECUTE FUNCTION search_entry_terms()""",
    f"""INSERT INTO search_term (term) SELECT DISTINCT t FROM search_entry,
    LATERAL ({TERMS % "search_entry.document"}) AS terms ORDER BY 1 ON CONFLICT DO NOTHING""",
]
POSTGRESQL_BACKWARDS = [
    "DROP TRIGGER IF EXISTS search_entry_terms ON search_entry",
    "DROP FUNCTION IF EXISTS search_entry_terms()",
    "DROP TABLE IF EXISTS search_term",
]


class Migration(migrations.Migration):
    dependencies = [("search", "0001_index")]

    operations = [
        VendorSQL("sqlite", SQLITE_FORWARDS, SQLITE_BACKWARDS),
        VendorSQL("postgresql", POSTGRESQL_FORWARDS, POSTGRESQL_BACKWARDS),
    ]
