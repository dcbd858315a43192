"""PostgreSQL: a GIN index keeps new entries in an unsorted pending list that every
search reads through before the index proper, up to 4 MB by default (about 500 pages,
4–5 ms on every search, a rare word's whole cost). 128 kB keeps that read under a
millisecond while writes still go in small batches."""

from importlib import import_module

from django.db import migrations

VendorSQL = import_module("search.migrations.0001_index").VendorSQL


class Migration(migrations.Migration):
    dependencies = [("search", "0002_terms")]

    operations = [
        VendorSQL(
            "postgresql",
            [
                "ALTER INDEX search_entry_document SET (gin_pending_list_limit = 128)",
                "SELECT gin_clean_pending_list('search_entry_document')",
            ],
            ["ALTER INDEX search_entry_document RESET (gin_pending_list_limit)"],
        ),
    ]
