//! Shared pieces of schema steps.

use sea_orm_migration::prelude::*;

pub fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(on_delete)
        .to_owned()
}

pub fn unique_index(
    table: &'static str,
    name: &str,
    cols: &[&'static str],
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table).unique();
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}

pub fn index(table: &'static str, name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    idx.to_owned()
}
