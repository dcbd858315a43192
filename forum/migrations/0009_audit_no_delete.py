from django.db import migrations

# On PostgreSQL the audit log also refuses DELETE (TRUNCATE, which test databases use
# to reset, is not affected). SQLite's test reset deletes rows, so there the app's
# own guards (no delete path, read-only admin) are the protection.
_CREATE = (
    "CREATE TRIGGER forum_audit_no_delete BEFORE DELETE ON forum_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION forum_audit_append_only()"
)
_DROP = "DROP TRIGGER IF EXISTS forum_audit_no_delete ON forum_auditentry"


def _run(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("forum", "0008_chat_audit_actions")]

    operations = [migrations.RunPython(_run(_CREATE), _run(_DROP))]
