from django.db import migrations

# A published assessment, its parts and a published report never change: the database
# itself refuses. On SQLite only updates and inserts are refused (the test suite resets
# SQLite by deleting rows); on PostgreSQL deletes too (TRUNCATE, used to reset, is not
# affected).
_PARTS = ("countries_dimensionlevel", "countries_source", "countries_regionalexception")
_MESSAGE = "a published assessment or report cannot change"

_PG_FUNCTIONS = [
    "CREATE FUNCTION countries_published_is_final() RETURNS trigger AS $$ BEGIN "
    f"RAISE EXCEPTION '{_MESSAGE}'; END $$ LANGUAGE plpgsql",
    "CREATE FUNCTION countries_part_is_final() RETURNS trigger AS $$ "
    "DECLARE parent bigint; BEGIN "
    "IF TG_OP = 'DELETE' THEN parent := OLD.assessment_id; ELSE parent := NEW.assessment_id; "
    "END IF; "
    "IF EXISTS (SELECT 1 FROM countries_assessment WHERE id = parent "
    "AND status = 'published') OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM "
    "countries_assessment WHERE id = OLD.assessment_id AND status = 'published')) THEN "
    f"RAISE EXCEPTION '{_MESSAGE}'; END IF; "
    "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
]
_SQL = {
    "postgresql": (
        [
            *_PG_FUNCTIONS,
            "CREATE TRIGGER countries_assessment_final BEFORE UPDATE OR DELETE "
            "ON countries_assessment FOR EACH ROW WHEN (OLD.status = 'published') "
            "EXECUTE FUNCTION countries_published_is_final()",
            "CREATE TRIGGER countries_report_final BEFORE UPDATE OR DELETE "
            "ON countries_frozenreport FOR EACH ROW "
            "EXECUTE FUNCTION countries_published_is_final()",
            *[
                f"CREATE TRIGGER {table}_final BEFORE INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION countries_part_is_final()"
                for table in _PARTS
            ],
        ],
        [
            *[f"DROP TRIGGER IF EXISTS {table}_final ON {table}" for table in _PARTS],
            "DROP TRIGGER IF EXISTS countries_report_final ON countries_frozenreport",
            "DROP TRIGGER IF EXISTS countries_assessment_final ON countries_assessment",
            "DROP FUNCTION IF EXISTS countries_part_is_final()",
            "DROP FUNCTION IF EXISTS countries_published_is_final()",
        ],
    ),
    "sqlite": (
        [
            "CREATE TRIGGER countries_assessment_final BEFORE UPDATE ON countries_assessment "
            f"WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
            "CREATE TRIGGER countries_report_final BEFORE UPDATE ON countries_frozenreport "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
            *[
                f"CREATE TRIGGER {table}_final_{op.lower()} BEFORE {op} ON {table} "
                f"WHEN (SELECT status FROM countries_assessment WHERE id = NEW.assessment_id)"
                f" = 'published'{extra} BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
                for table in _PARTS
                for op, extra in (
                    ("INSERT", ""),
                    (
                        "UPDATE",
                        " OR (SELECT status FROM countries_assessment "
                        "WHERE id = OLD.assessment_id) = 'published'",
                    ),
                )
            ],
        ],
        [
            *[
                f"DROP TRIGGER IF EXISTS {table}_final_{op}"
                for table in _PARTS
                for op in ("insert", "update")
            ],
            "DROP TRIGGER IF EXISTS countries_report_final",
            "DROP TRIGGER IF EXISTS countries_assessment_final",
        ],
    ),
}


def _run(index):
    def run(apps, schema_editor):
        for statement in _SQL.get(schema_editor.connection.vendor, ([], []))[index]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("countries", "0004_dimensions")]

    operations = [migrations.RunPython(_run(0), _run(1))]
